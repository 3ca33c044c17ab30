extension Pages {
    /// The page's script: a router over the hash, three views, and the live parts (server-sent
    /// events for job changes and logs). Text is always set with `textContent`, never as HTML.
    static let script = #"""
        'use strict';
        const view = document.getElementById('view');
        const STATES = ['pending', 'scheduled', 'running', 'succeeded', 'failed', 'cancelled', 'lost'];
        let cleanup = [];   // what the current view must stop when another one opens

        function el(tag, attrs, ...children) {
          const node = document.createElement(tag);
          for (const [key, value] of Object.entries(attrs || {})) {
            if (key === 'text') node.textContent = value;
            else if (key === 'class') node.className = value;
            else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
            else node.setAttribute(key, value);
          }
          for (const child of children) node.append(child);
          return node;
        }

        async function api(path, options) {
          const response = await fetch(path, Object.assign({ credentials: 'same-origin' }, options || {}));
          if (response.status === 401) { location.href = '/login'; throw new Error('not logged in'); }
          if (!response.ok) throw new Error((await response.text()).trim());
          return response.json();
        }

        function age(millis) {
          if (!millis) return '-';
          let s = Math.max(0, Math.floor((Date.now() - millis) / 1000));
          if (s < 60) return s + 's';
          if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
          if (s < 86400) return Math.floor(s / 3600) + 'h' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
          return Math.floor(s / 86400) + 'd' + Math.floor(s % 86400 / 3600) + 'h';
        }
        function bytes(n) {
          const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
          let i = 0; while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
          return (i ? n.toFixed(1) : n) + ' ' + units[i];
        }
        function stateBadge(state) { return el('span', { class: 'state state-' + state, text: state }); }

        // One shared stream of job changes for whichever view listens.
        const jobListeners = new Set();
        let jobStream = null;
        function onJobChange(listener) {
          jobListeners.add(listener);
          if (!jobStream) {
            jobStream = new EventSource('/api/events');
            jobStream.addEventListener('job', (event) => {
              const change = JSON.parse(event.data);
              for (const l of jobListeners) l(change);
            });
          }
          return () => jobListeners.delete(listener);
        }

        async function refreshCluster() {
          const target = document.getElementById('cluster');
          try {
            const c = await api('/api/cluster');
            target.replaceChildren(
              'leader ', el('strong', { id: 'leader', text: c.leader.id }), ' · term ' + c.leader.term + ' · etcd ',
              el('span', { class: c.etcd.healthy ? 'healthy' : 'unhealthy', id: 'etcd-health',
                           text: c.etcd.healthy ? 'healthy (' + c.etcd.version + ', ' + bytes(c.etcd.dbSizeBytes) + ')' : 'unhealthy: ' + c.etcd.error }));
          } catch (error) { target.textContent = 'cluster: ' + error.message; }
        }

        // ---- jobs ----
        function jobsView(params) {
          const state = el('select', { id: 'filter-state' }, el('option', { value: '', text: 'any state' }),
            ...STATES.map((s) => el('option', { value: s, text: s })));
          state.value = params.get('state') || '';
          const node = el('input', { id: 'filter-node', placeholder: 'node', value: params.get('node') || '' });
          const label = el('input', { id: 'filter-label', placeholder: 'label k=v, k2=v2', value: params.get('label') || '' });
          const count = el('span', { class: 'count', id: 'job-count' });
          const body = el('tbody', { id: 'jobs' });
          const apply = () => {
            const query = new URLSearchParams();
            if (state.value) query.set('state', state.value);
            if (node.value.trim()) query.set('node', node.value.trim());
            if (label.value.trim()) query.set('label', label.value.trim());
            location.hash = '#/jobs' + (query.toString() ? '?' + query : '');
          };
          state.addEventListener('change', apply);
          for (const input of [node, label]) input.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
          view.replaceChildren(el('h1', { text: 'Jobs' }), el('div', { class: 'filters' }, state, node, label,
            el('button', { text: 'Filter', onclick: apply }), count),
            el('table', {}, el('thead', {}, el('tr', {}, ...['ID', 'Name', 'State', 'Node', 'Attempt', 'Exit', 'Age'].map((h) => el('th', { text: h })))), body));

          const rows = new Map();
          const render = (id, name, status) => {
            const row = el('tr', { 'data-job': id },
              el('td', {}, el('a', { href: '#/jobs/' + encodeURIComponent(id), text: id })),
              el('td', { text: name || '' }), el('td', {}, stateBadge(status.state)), el('td', { text: status.node || '-' }),
              el('td', { class: 'num', text: String(status.attempt) }),
              el('td', { class: 'num', text: status.exitCode === undefined || status.exitCode === null ? '-' : String(status.exitCode) }),
              el('td', { class: 'num', text: age(status.submittedAt) }));
            const old = rows.get(id);
            if (old) old.replaceWith(row); else body.append(row);
            rows.set(id, row);
          };
          let refetching = null;
          const load = async () => {
            try {
              const page = await api('/api/jobs?' + params.toString());
              body.replaceChildren(); rows.clear();
              for (const job of page.jobs) render(job.id, job.name, job.status);
              count.textContent = page.jobs.length + (page.more ? '+ jobs (narrow the filter to see the rest)' : ' jobs');
            } catch (error) { count.textContent = error.message; }
          };
          const wantsState = params.get('state');
          const wantsNode = params.get('node');
          const byLabel = !!params.get('label');
          const unlisten = onJobChange((change) => {
            const matches = (!wantsState || change.status.state === wantsState) && (!wantsNode || change.status.node === wantsNode);
            const known = rows.get(change.id);
            if (known && matches) {
              render(change.id, known.children[1].textContent, change.status);
            } else if (!known && matches && !byLabel) {
              // A new job: shown at once from the event (a JobEvent has no name: the page
              // fetched again shortly after fills it in).
              render(change.id, '', change.status);
            }
            if (!refetching && (!known || !matches)) {
              // Once per 300 ms at most however many changes come: the page as the leader has it
              // (names, jobs that left the filter, jobs only a label filter can judge).
              refetching = setTimeout(() => { refetching = null; load(); }, 300);
            }
          });
          cleanup.push(unlisten, () => clearTimeout(refetching));
          load();
        }

        // ---- one job ----
        function jobView(id) {
          const facts = el('dl', { class: 'facts', id: 'job-facts' });
          const why = el('div', { class: 'why', id: 'job-why' }); why.hidden = true;
          const attempts = el('tbody', { id: 'attempts' });
          const cancel = el('button', { class: 'danger', id: 'cancel', text: 'Cancel job' });
          const log = el('pre', { class: 'log', id: 'log' });
          const logStatus = el('div', { class: 'log-status', id: 'log-status', text: 'connecting…' });
          const title = el('h1', { text: 'Job ' + id });
          view.replaceChildren(title, el('p', {}, cancel), facts, why, el('h2', { text: 'Attempts' }),
            el('table', {}, el('thead', {}, el('tr', {}, ...['#', 'Node', 'Started', 'Ended', 'Outcome', 'Exit', 'Why'].map((h) => el('th', { text: h })))), attempts),
            el('h2', { text: 'Log' }), log, logStatus);

          let job = null;
          const show = () => {
            const s = job.status;
            const rows = [['State', stateBadge(s.state)], ['Name', job.name || '-'], ['Node', s.node || '-'],
              ['Attempt', s.attempt + ' (epoch ' + s.epoch + ')'], ['Exit code', s.exitCode === undefined || s.exitCode === null ? '-' : String(s.exitCode)],
              ['Runtime', job.runtime + (job.image ? ' (' + job.image + ')' : '')], [job.isScript ? 'Script' : 'Command', job.command],
              ['Requests', 'cpu ' + job.resources.cpuMillis + 'm, memory ' + bytes(job.resources.memoryBytes)],
              ['Failures', s.failures + ' of ' + job.maxAttempts + ' allowed'], ['Node losses', s.nodeLosses + ' of ' + job.maxNodeLosses + ' allowed'],
              ['Labels', Object.entries(job.labels).map(([k, v]) => k + '=' + v).join(', ') || '-'],
              ['Environment', job.environmentNames.length ? job.environmentNames.join(', ') + ' (values hidden)' : '-'],
              ['Submitted', age(s.submittedAt) + ' ago'], ['Updated', age(s.updatedAt) + ' ago']];
            facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { 'data-fact': k }, v)]));
            const waiting = s.state === 'pending' && s.message;
            why.hidden = !s.message;
            why.textContent = s.message ? (waiting && !s.retryAt ? 'Waiting because: ' : '') + s.message : '';
            attempts.replaceChildren(...job.attempts.map((a) => el('tr', {}, el('td', { text: String(a.number) }), el('td', { text: a.node }),
              el('td', { text: a.startedAt ? age(a.startedAt) + ' ago' : '-' }), el('td', { text: age(a.endedAt) + ' ago' }),
              el('td', { text: a.outcome }), el('td', { text: a.exitCode === undefined || a.exitCode === null ? '-' : String(a.exitCode) }),
              el('td', { text: a.reason }))));
            cancel.disabled = ['succeeded', 'failed', 'cancelled', 'lost'].includes(s.state);
          };
          const load = async () => {
            try { job = await api('/api/jobs/' + encodeURIComponent(id)); show(); return true; }
            catch (error) { view.replaceChildren(title, el('p', { class: 'error', id: 'job-error', text: error.message })); return false; }
          };
          cancel.addEventListener('click', async () => {
            cancel.disabled = true;
            try {
              const result = await api('/api/jobs/' + encodeURIComponent(id) + '/cancel', { method: 'POST' });
              logStatus.textContent = result.outcome === 'cancelled' ? 'cancelled' : 'the job had already ended (' + result.state + ')';
            } catch (error) { logStatus.textContent = 'cancel failed: ' + error.message; cancel.disabled = false; }
          });
          const unlisten = onJobChange((change) => {
            if (change.id !== id || !job) return;
            const attemptChanged = change.status.attempt !== job.status.attempt;
            job.status = change.status; show();
            if (attemptChanged || ['succeeded', 'failed', 'cancelled', 'lost'].includes(change.status.state)) load();
          });
          cleanup.push(unlisten);

          // The log: archived then live; the browser resumes by event id if the stream drops,
          // and the page moves on to the next attempt when one ends and the job runs again.
          let stream = null;
          const follow = (attempt) => {
            if (stream) stream.close();
            logStatus.textContent = 'following attempt ' + attempt + '…';
            stream = new EventSource('/api/jobs/' + encodeURIComponent(id) + '/log?attempt=' + attempt);
            stream.addEventListener('chunk', (event) => {
              const piece = JSON.parse(event.data);
              const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
              log.append(el('span', { class: piece.stream, text: piece.text }));
              if (atBottom) log.scrollTop = log.scrollHeight;
            });
            stream.addEventListener('end', (event) => {
              const end = JSON.parse(event.data);
              stream.close();
              if (end.final) {
                logStatus.textContent = 'attempt ' + attempt + ' ended: ' + end.state + (end.exitCode === null || end.exitCode === undefined ? '' : ' (exit ' + end.exitCode + ')');
              } else {
                log.append(el('span', { class: 'stderr', text: '--- attempt ' + attempt + ' ended; following attempt ' + (attempt + 1) + ' ---\n' }));
                follow(attempt + 1);
              }
            });
            stream.addEventListener('error', () => { if (stream.readyState !== EventSource.CLOSED) logStatus.textContent = 'reconnecting…'; });
          };
          cleanup.push(() => { if (stream) stream.close(); });
          load().then((ok) => { if (ok) follow(Math.max(1, job.status.attempt)); });
        }

        // ---- nodes ----
        function nodesView() {
          const body = el('tbody', { id: 'nodes' });
          const note = el('p', { class: 'muted', text: 'Allocation follows job changes; readiness is read again every 5 s.' });
          view.replaceChildren(el('h1', { text: 'Nodes' }),
            el('table', {}, el('thead', {}, el('tr', {}, ...['Node', 'Status', 'Schedulable', 'CPU', 'Memory', 'Jobs', 'Runtimes', 'Age', 'Address'].map((h) => el('th', { text: h })))), body), note);
          const bar = (used, capacity, text) => {
            const fill = el('span'); fill.style.width = Math.min(100, capacity ? used * 100 / capacity : 0) + '%';
            return el('span', {}, el('span', { class: 'bar' }, fill), el('span', { class: 'bar-label', text: text }));
          };
          const load = async () => {
            try {
              const nodes = await api('/api/nodes');
              body.replaceChildren(...nodes.map((n) => {
                const cap = n.descriptor.capacity;
                const schedulable = n.schedulable === undefined ? !n.draining : n.schedulable;
                return el('tr', { 'data-node': n.descriptor.id },
                  el('td', { text: n.descriptor.id }),
                  el('td', { text: n.draining ? 'draining' : n.connected ? 'ready' : 'disconnected' }),
                  el('td', { text: schedulable ? 'yes' : 'no' }),
                  el('td', {}, bar(n.allocated.cpuMillis, cap.cpuMillis, n.allocated.cpuMillis + 'm / ' + cap.cpuMillis + 'm')),
                  el('td', {}, bar(n.allocated.memoryBytes, cap.memoryBytes, bytes(n.allocated.memoryBytes) + ' / ' + bytes(cap.memoryBytes))),
                  el('td', { class: 'num', text: String(n.jobCount) }),
                  el('td', { text: (n.descriptor.runtimes || []).slice().sort().join(', ') }),
                  el('td', { text: n.registeredAt ? age(n.registeredAt) : '-' }),
                  el('td', { text: n.descriptor.address || '' }));
              }));
            } catch (error) { body.replaceChildren(el('tr', {}, el('td', { class: 'error', text: error.message }))); }
          };
          let pending = null;
          const unlisten = onJobChange(() => { if (!pending) pending = setTimeout(() => { pending = null; load(); }, 500); });
          const timer = setInterval(load, 5000);
          cleanup.push(unlisten, () => clearInterval(timer), () => clearTimeout(pending));
          load();
        }

        function route() {
          for (const stop of cleanup) stop();
          cleanup = [];
          const hash = location.hash || '#/jobs';
          const [path, query] = hash.slice(1).split('?');
          const parts = path.split('/').filter(Boolean);
          document.getElementById('nav-jobs').classList.toggle('active', parts[0] !== 'nodes');
          document.getElementById('nav-nodes').classList.toggle('active', parts[0] === 'nodes');
          if (parts[0] === 'nodes') nodesView();
          else if (parts[0] === 'jobs' && parts[1]) jobView(decodeURIComponent(parts[1]));
          else jobsView(new URLSearchParams(query || ''));
        }
        window.addEventListener('hashchange', route);
        refreshCluster();
        setInterval(refreshCluster, 10000);
        route();
        """#
}
