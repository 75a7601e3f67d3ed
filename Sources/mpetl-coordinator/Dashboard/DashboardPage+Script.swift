extension DashboardPage {
    /// Polls `progress.json` and redraws every pipeline. Plain JavaScript that any browser of the
    /// last years runs as it is; every text from the server is escaped before it reaches the page.
    static let script = #"""
        'use strict';
        const byId = (id) => document.getElementById(id);
        const escapeHTML = (text) => String(text).replace(/[&<>"']/g,
          (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
        const count = (n) => Math.round(n).toLocaleString('en-US');
        const perSecond = (r) => r >= 100 ? count(r) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
        const axisValue = (v) => v >= 10 || v === 0 ? count(v) : String(Math.round(v * 100) / 100);
        const colors = ['#2563eb', '#dc2626', '#15803d', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
        const color = (i) => colors[i % colors.length];

        function duration(seconds) {
          const s = Math.max(0, Math.round(seconds));
          if (s < 60) return s + ' s';
          const m = Math.floor(s / 60);
          if (m < 60) return m + ' min ' + String(s % 60).padStart(2, '0') + ' s';
          return Math.floor(m / 60) + ' h ' + String(m % 60).padStart(2, '0') + ' min';
        }

        function clock(seconds) {
          const s = Math.max(0, Math.round(seconds));
          const m = Math.floor(s / 60);
          return (m >= 60 ? Math.floor(m / 60) + ':' + String(m % 60).padStart(2, '0') : m) + ':'
            + String(s % 60).padStart(2, '0');
        }

        const fact = (label, value) => `<span class="fact"><span>${label}</span><b>${value}</b></span>`;

        function pipelineSection(p, history) {
          const live = p.state === 'running' || p.state === 'starting';
          let out = `<section class="pipeline" data-pipeline="${escapeHTML(p.name)}">`
            + `<h2>${escapeHTML(p.name)} <span class="state ${escapeHTML(p.state)}">${escapeHTML(p.state)}</span></h2>`
            + '<div class="facts">' + fact('elapsed', duration(p.elapsedSeconds))
            + fact('fed', count(p.fed)) + fact('finished', count(p.finished))
            + (p.expected != null ? fact('of', count(p.expected)) : '')
            + (live ? fact('rate', perSecond(p.rate) + ' items/s') : '')
            + (live && p.etaSeconds != null ? fact('ETA', duration(p.etaSeconds)) : '') + '</div>';
          if (p.fraction != null) {
            const percent = (100 * Math.min(1, Math.max(0, p.fraction))).toFixed(1);
            out += `<div class="progress"><div class="bar"><div style="width:${percent}%"></div></div>`
              + `<span class="percent">${percent}%</span></div>`;
          }
          if (p.failure) {
            out += `<div class="failure"><b>${p.state === 'failed' ? 'Failed' : 'Failing'}:</b> `
              + `${escapeHTML(p.failure)}</div>`;
          }
          out += stagesTable(p);
          out += '<div class="columns"><div><h3>Items per second, by stage</h3>' + chart(p, history) + '</div>'
            + '<div><h3>Hosts</h3>' + hostsTable(p) + '</div></div>';
          out += longRunningTable(p);
          return out + '</section>';
        }

        function stagesTable(p) {
          const rows = p.stages.map((s, i) => {
            const busy = Math.round(100 * Math.min(1, Math.max(0, s.busyShare)));
            const mark = s.isBottleneck
              ? '<span class="badge" title="this stage limits how fast the pipeline goes">bottleneck</span>'
              : '';
            const replayed = s.replayed ? ` <span class="note">(${count(s.replayed)} items replayed)</span>` : '';
            const lost = s.workersLost + replayed;
            return `<tr class="stage${s.isBottleneck ? ' bottleneck' : ''}" data-stage="${escapeHTML(s.name)}">`
              + `<td class="name"><i class="swatch" style="background:${color(i)}"></i>`
              + `${escapeHTML(s.name)}${mark}</td>`
              + `<td class="num items">${count(s.items)}</td><td class="num out">${count(s.itemsOut)}</td>`
              + `<td class="num rate">${perSecond(s.rate)}</td>`
              + `<td class="busy"><span class="meter"><span style="width:${busy}%"></span></span>${busy}%</td>`
              + `<td class="num queue">${count(s.queue)}</td><td class="num errors">${count(s.errors)}</td>`
              + `<td class="num workers">${s.workers}</td><td class="num lost">${lost}</td></tr>`;
          }).join('');
          return '<table class="stages"><thead><tr><th>Stage</th><th class="num">Items</th><th class="num">Out</th>'
            + '<th class="num">Items/s</th><th title="time in the stage body over wall time, per worker">Busy</th>'
            + '<th class="num" title="items sent to the stage and not finished yet">Queue</th>'
            + '<th class="num">Errors</th><th class="num">Workers</th><th class="num">Lost</th></tr></thead>'
            + `<tbody>${rows}</tbody></table>`;
        }

        function hostsTable(p) {
          const lost = p.stages.filter((s) => s.workersLost > 0)
            .map((s) => `${s.workersLost} of ${escapeHTML(s.name)}`);
          const lostNote = lost.length ? `<p class="note">Workers lost: ${lost.join(', ')}. Their unfinished items `
            + 'were replayed to the other workers, and replacements started while the stage had restarts left.</p>'
            : '';
          const live = p.state === 'running' || p.state === 'starting';
          if (!p.hosts.length) return `<p class="note">${live ? 'No worker yet.' : 'No worker left.'}</p>${lostNote}`;
          const total = p.hosts.reduce((sum, h) => sum + h.items, 0);
          const rows = p.hosts.map((h) => {
            const share = total > 0 ? Math.round(100 * h.items / total) : 0;
            return `<tr class="host" data-host="${escapeHTML(h.host)}"><td class="name">${escapeHTML(h.host)}</td>`
              + `<td class="num workers">${h.workers}</td><td class="num items">${count(h.items)}</td>`
              + `<td class="num rate">${perSecond(h.rate)}</td><td class="num lost">${h.workersLost ?? 0}</td>`
              + `<td class="share"><span class="meter"><span style="width:${share}%"></span></span>${share}%</td></tr>`;
          }).join('');
          return '<table class="hosts"><thead><tr><th>Host</th><th class="num">Workers</th><th class="num">Items</th>'
            + '<th class="num">Items/s</th><th class="num">Lost</th><th>Share</th></tr></thead>'
            + `<tbody>${rows}</tbody></table>${lostNote}`;
        }

        function longRunningTable(p) {
          const rows = p.stages.flatMap((s) => s.longRunning.map((l) => ({ stage: s.name, ...l })))
            .sort((a, b) => b.seconds - a.seconds);
          if (!rows.length) return '';
          return '<h3>Long-running items</h3><table class="long"><thead><tr><th>Stage</th><th>Item</th>'
            + '<th class="num">Running for</th><th>Worker</th></tr></thead><tbody>'
            + rows.map((l) => `<tr><td>${escapeHTML(l.stage)}</td><td class="item">${escapeHTML(l.item)}</td>`
              + `<td class="num">${duration(l.seconds)}</td><td>pid ${l.pid} on ${escapeHTML(l.host)}</td></tr>`)
              .join('')
            + '</tbody></table>';
        }

        // A step of 1, 2, 2.5 or 5 times a power of ten, at least `raw`: grid lines at round numbers.
        function niceStep(raw) {
          if (!(raw > 0)) return 1;
          const power = Math.pow(10, Math.floor(Math.log10(raw)));
          for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
          return 10 * power;
        }

        function chart(p, history) {
          if (!history || history.seconds.length < 2) {
            return '<p class="note">The chart starts once two samples are in (one a second).</p>';
          }
          const width = 640, height = 210, left = 52, right = 10, top = 8, bottom = 22;
          const t = history.seconds, end = t[t.length - 1], start = Math.max(t[0], end - 300);
          const span = Math.max(end - start, 1);
          const highest = Math.max(...history.stages.flatMap((s) => s.rates)) * 1.05;
          const step = niceStep(highest / 4), ceiling = step * Math.max(1, Math.ceil(highest / step));
          const x = (s) => left + (width - left - right) * (s - start) / span;
          const y = (r) => top + (height - top - bottom) * (1 - r / ceiling);
          let svg = `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" `
            + 'aria-label="items per second of each stage over time">';
          for (let value = 0; value <= ceiling * 1.001; value += step) {
            const yy = y(value).toFixed(1);
            svg += `<line class="grid" x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}"/>`
              + `<text x="${left - 6}" y="${yy}" dy="4" text-anchor="end">${axisValue(value)}</text>`;
          }
          svg += `<line class="axis" x1="${left}" x2="${width - right}" y1="${y(0)}" y2="${y(0)}"/>`
            + `<text x="${left}" y="${height - 6}">${clock(start)}</text>`
            + `<text x="${width - right}" y="${height - 6}" text-anchor="end">${clock(end)} elapsed</text>`;
          history.stages.forEach((stage, i) => {
            const points = stage.rates.map((r, k) => t[k] >= start ? `${x(t[k]).toFixed(1)},${y(r).toFixed(1)}` : null)
              .filter((point) => point).join(' ');
            svg += `<polyline fill="none" stroke="${color(i)}" stroke-width="2" stroke-linejoin="round" `
              + `points="${points}"/>`;
          });
          svg += '</svg><div class="legend">' + history.stages.map((s, i) =>
            `<span><i class="swatch" style="background:${color(i)}"></i>${escapeHTML(s.name)}</span>`).join('')
            + '</div>';
          return svg;
        }

        function workerHostsSection(hosts) {
          if (!hosts.length) return '';
          return '<section class="pipeline"><h2>Worker hosts connected</h2><table class="worker-hosts"><thead><tr>'
            + '<th>Host</th><th class="num">Slots</th><th class="num">Busy</th></tr></thead><tbody>'
            + hosts.map((h) => `<tr data-host="${escapeHTML(h.host)}"><td>${escapeHTML(h.host)}</td>`
              + `<td class="num">${h.slots}</td><td class="num">${h.busy}</td></tr>`).join('')
            + '</tbody></table></section>';
        }

        function render(doc) {
          byId('title').textContent = doc.title;
          byId('host').textContent = 'coordinator on ' + doc.coordinatorHost;
          const pipelines = doc.progress.pipelines;
          let html = pipelines.length ? ''
            : '<p class="empty">No pipeline has started on this coordinator yet.</p>';
          if (doc.olderPipelines) {
            html += `<p class="note">${count(doc.olderPipelines)} older pipelines are not shown.</p>`;
          }
          pipelines.forEach((p, i) => { html += pipelineSection(p, doc.history[i]); });
          byId('pipelines').innerHTML = html + workerHostsSection(doc.workerHosts);
          const running = pipelines.filter((p) => p.state === 'running');
          document.title = (running.length === 1 && running[0].fraction != null
            ? Math.floor(100 * running[0].fraction) + '% · ' : '') + 'MPETL dashboard';
        }

        let answeredAt = 0, failing = false;

        function showStatus() {
          const status = byId('status');
          if (!failing) {
            status.textContent = answeredAt ? 'live' : 'connecting…';
            status.className = answeredAt ? 'ok' : '';
          } else if (!answeredAt) {
            status.textContent = 'cannot reach the coordinator';
            status.className = 'bad';
          } else {
            status.textContent = 'no answer for ' + duration((Date.now() - answeredAt) / 1000)
              + ': the coordinator has stopped; these are its last figures';
            status.className = 'bad';
          }
        }

        async function poll() {
          try {
            const response = await fetch('progress.json', { cache: 'no-store' });
            if (!response.ok) throw new Error('HTTP ' + response.status);
            render(await response.json());
            answeredAt = Date.now();
            failing = false;
          } catch (error) {
            failing = true;
          }
          showStatus();
        }

        poll();
        setInterval(poll, 1000);
        """#
}
