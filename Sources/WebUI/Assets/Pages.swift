/// The UI's static parts, compiled into the binary: no build step, nothing fetched from the
/// network at run time. The script and style are separate resources so that the pages'
/// Content-Security-Policy can forbid inline code.
enum Pages {
    /// The login form; `error` is shown above it (already a sentence).
    static func login(error: String?) -> String {
        let message = error.map { "<p class=\"error\" id=\"login-error\">\(escape($0))</p>" } ?? ""
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Titan · log in</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/app.css"></head>
        <body class="login"><main>
        <h1>Titan</h1>
        <p>Paste the cluster token (the content of the file that <code>TITAN_TOKEN_FILE</code> names).</p>
        \(message)
        <form method="post" action="/login">
        <input type="password" name="token" id="token" autocomplete="current-password" placeholder="cluster token" autofocus required>
        <button type="submit" id="login">Log in</button>
        </form></main></body></html>
        """
    }

    /// The application's page: a header and one view, filled by the script from the hash
    /// (`#/jobs`, `#/jobs/ID`, `#/nodes`).
    static let app = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Titan</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/app.css"></head>
        <body>
        <header>
          <a class="brand" href="#/jobs">Titan</a>
          <nav><a href="#/jobs" id="nav-jobs">Jobs</a><a href="#/nodes" id="nav-nodes">Nodes</a></nav>
          <span class="cluster" id="cluster">…</span>
          <a class="logout" href="/logout">Log out</a>
        </header>
        <main id="view"></main>
        <script src="/app.js"></script>
        </body></html>
        """

    /// `text` with the five HTML special characters escaped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
