/// The dashboard's one page. It ships in the binary, with its style and script inline: the
/// coordinator may run where nothing can be fetched, and there is no build step for the script.
/// The script polls `progress.json` once a second and redraws.
enum DashboardPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>MPETL dashboard</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <header>
        <h1>MPETL</h1>
        <span id="title"></span>
        <span id="host"></span>
        <span id="status">connecting…</span>
        </header>
        <main id="pipelines">
        <noscript>This page draws with JavaScript; <a href="progress.json">progress.json</a> has the same \
        figures.</noscript>
        </main>
        <script>
        \(script)
        </script>
        </body>
        </html>
        """
}
