extension Pages {
    /// The style sheet: one column, tables, state colours, capacity bars.
    static let style = #"""
        :root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; --accent: #3056d3;
                --ok: #12805c; --bad: #c4320a; --warn: #b54708; --run: #3056d3; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; gap: 24px; align-items: center; padding: 10px 24px; background: #101828; color: #fff; }
        header a { color: #d0d5dd; text-decoration: none; }
        header a:hover, header nav a.active { color: #fff; }
        header .brand { font-weight: 700; font-size: 18px; color: #fff; }
        header nav { display: flex; gap: 16px; }
        header .cluster { margin-left: auto; font-size: 13px; color: #d0d5dd; }
        header .cluster .healthy { color: #6ce9a6; } header .cluster .unhealthy { color: #fda29b; }
        main { padding: 20px 24px; max-width: 1200px; margin: 0 auto; }
        h1 { font-size: 20px; margin: 0 0 12px; } h2 { font-size: 16px; margin: 24px 0 8px; }
        table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
        td.num { font-variant-numeric: tabular-nums; }
        a { color: var(--accent); }
        .filters { display: flex; gap: 10px; margin-bottom: 12px; flex-wrap: wrap; align-items: center; }
        .filters input, .filters select { padding: 5px 8px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
        .count { color: var(--muted); margin-left: auto; }
        .state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #eaecf0; }
        .state-succeeded { background: #d1fadf; color: var(--ok); } .state-failed, .state-lost { background: #fee4e2; color: var(--bad); }
        .state-running { background: #dbe4ff; color: var(--run); } .state-scheduled { background: #e0eaff; color: var(--run); }
        .state-pending { background: #fef0c7; color: var(--warn); } .state-cancelled { background: #eaecf0; color: var(--muted); }
        dl.facts { display: grid; grid-template-columns: 160px 1fr; gap: 4px 16px; background: #fff; border: 1px solid var(--line); padding: 12px; margin: 0; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; white-space: pre-wrap; word-break: break-word; }
        .why { background: #fffaeb; border: 1px solid #fedf89; padding: 8px 12px; margin: 12px 0; white-space: pre-wrap; }
        pre.log { background: #0c111d; color: #e4e7ec; padding: 12px; min-height: 120px; max-height: 480px; overflow: auto; font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
        pre.log .stderr { color: #fda29b; }
        .log-status { color: var(--muted); font-size: 12px; margin-top: 4px; }
        button { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid var(--line); background: #fff; cursor: pointer; }
        button.danger { border-color: #fda29b; color: var(--bad); }
        button:disabled { opacity: .5; cursor: default; }
        .bar { position: relative; height: 14px; width: 160px; background: #eaecf0; border-radius: 3px; overflow: hidden; display: inline-block; vertical-align: middle; }
        .bar > span { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); }
        .bar-label { margin-left: 8px; color: var(--muted); font-size: 12px; }
        .muted { color: var(--muted); } .error { color: var(--bad); }
        body.login main { max-width: 420px; margin-top: 12vh; background: #fff; border: 1px solid var(--line); padding: 24px; }
        body.login input { width: 100%; padding: 8px; margin: 8px 0 12px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
        """#
}
