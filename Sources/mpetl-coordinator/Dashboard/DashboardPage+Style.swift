extension DashboardPage {
    static let style = #"""
        :root {
          --ink: #1f2933; --muted: #616e7c; --line: #d9dee4; --panel: #ffffff; --page: #f4f6f8;
          --blue: #2563eb; --green: #15803d; --red: #b91c1c; --amber: #b45309; --amber-bg: #fff4e0;
        }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
          color: var(--ink); background: var(--page); }
        header { display: flex; align-items: baseline; gap: 16px; padding: 10px 20px; background: #1f2933;
          color: #f5f7fa; }
        header h1 { margin: 0; font-size: 18px; letter-spacing: 0.04em; }
        #title { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
        #host { color: #9aa5b1; }
        #status { margin-left: auto; font-weight: 600; }
        #status.ok::before { content: "● "; color: #4ade80; }
        #status.bad { color: #fca5a5; }
        main { padding: 14px 20px; }
        section.pipeline { background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
          padding: 12px 16px; margin-bottom: 14px; }
        h2 { margin: 0 0 6px; font-size: 17px; }
        h3 { margin: 12px 0 4px; font-size: 13px; color: var(--muted); text-transform: uppercase;
          letter-spacing: 0.05em; }
        .state { font-size: 12px; padding: 1px 8px; border-radius: 10px; vertical-align: middle; color: #fff;
          background: var(--muted); }
        .state.running { background: var(--blue); }
        .state.finished { background: var(--green); }
        .state.failing, .state.failed { background: var(--red); }
        .facts { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 4px 0 8px; }
        .fact b { font-size: 16px; font-variant-numeric: tabular-nums; }
        .fact span { color: var(--muted); margin-right: 4px; }
        .progress { display: flex; align-items: center; gap: 10px; margin: 4px 0 10px; }
        .bar { flex: 1; height: 14px; background: #e4e7eb; border-radius: 7px; overflow: hidden; }
        .bar > div { height: 100%; background: var(--blue); }
        .percent { font-weight: 700; font-variant-numeric: tabular-nums; min-width: 52px; text-align: right; }
        .failure { background: #fde8e8; border: 1px solid #f8b4b4; color: #7f1d1d; padding: 8px 10px;
          border-radius: 6px; margin: 6px 0 10px; white-space: pre-wrap; word-break: break-word; }
        table { border-collapse: collapse; width: 100%; }
        th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; padding: 4px 8px;
          border-bottom: 1px solid var(--line); white-space: nowrap; }
        td { padding: 5px 8px; border-bottom: 1px solid #edf0f3; vertical-align: middle; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.bottleneck td { background: var(--amber-bg); }
        .badge { display: inline-block; margin-left: 8px; padding: 0 7px; border-radius: 9px; font-size: 11px;
          font-weight: 700; color: #fff; background: var(--amber); text-transform: uppercase;
          letter-spacing: 0.04em; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 7px; }
        .meter { display: inline-block; width: 70px; height: 8px; background: #e4e7eb; border-radius: 4px;
          overflow: hidden; vertical-align: middle; margin-right: 6px; }
        .meter > span { display: block; height: 100%; background: var(--blue); }
        tr.bottleneck .meter > span { background: var(--amber); }
        .columns { display: grid; grid-template-columns: minmax(0, 11fr) minmax(0, 9fr); gap: 18px; }
        td.name, td.share, td.busy { white-space: nowrap; }
        @media (max-width: 900px) { .columns { grid-template-columns: minmax(0, 1fr); } }
        svg.chart { width: 100%; height: auto; display: block; }
        svg.chart text { font-size: 11px; fill: var(--muted); }
        svg.chart .grid { stroke: #e4e7eb; }
        svg.chart .axis { stroke: #9aa5b1; }
        .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; margin-top: 2px; }
        .note { color: var(--muted); font-size: 12px; margin: 6px 0; }
        .empty { color: var(--muted); font-size: 15px; }
        .item { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
        """#
}
