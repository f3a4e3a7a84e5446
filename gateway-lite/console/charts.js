// What the pages draw and export with: line charts over time with Chart.js
// (vendor/chart.min.js, built in), figures written for people, and CSV
// files made in the page.
'use strict';
(function (ostor) {
  // Told apart also without colour: solid, dashed or dotted, and point shapes.
  const COLORS = ['#1f5fbf', '#1e7a3c', '#b36b00', '#8e44ad', '#b3261e', '#00838f'];
  const POINTS = ['circle', 'rect', 'triangle', 'rectRot', 'crossRot', 'star'];
  const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  const pad = (n) => String(n).padStart(2, '0');

  // `n` bytes for people: "1.5 MiB" (a figure under 1024: "812 bytes").
  function bytes(n) {
    let value = Number(n);
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit === 0 ? `${value} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
  }

  // A count with thousands apart: "12,345".
  const count = (n) => Number(n).toLocaleString('en-US');

  // A time in ms as UTC: "2026-12-05 21:07:03".
  function utc(ms) {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }

  // An axis label of a time, as precise as the span shown needs.
  function tickOfSpan(spanMs) {
    const full = (ms) => utc(ms);
    if (spanMs <= 2 * 3600 * 1000) return (ms) => full(ms).slice(11);  // hh:mm:ss
    if (spanMs <= 3 * 86400 * 1000) return (ms) => full(ms).slice(5, 16);  // MM-DD hh:mm
    return (ms) => full(ms).slice(0, 10);
  }

  // Draws on `canvas` (again: the chart it had goes) the `series`
  // [{label, points: [{x: ms, y}], dashed, stepped}] over time (UTC) (a
  // stepped series holds each point's value until the next), the values
  // written by `format`; `summary` is what the canvas says to a screen
  // reader (the table beside it holds the figures); `range` [from, to] ms,
  // when given, is the x axis whatever the points cover.
  function lineChart(canvas, series, format, summary, range) {
    clear(canvas);
    const xs = range || series.flatMap((s) => s.points.map((p) => p.x));
    const span = xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
    const tick = tickOfSpan(span);
    canvas.setAttribute('aria-label', summary);
    return new Chart(canvas, {
      type: 'line',
      data: {
        datasets: series.map((s, i) => ({
          label: s.label,
          data: s.points,
          borderColor: COLORS[i % COLORS.length],
          backgroundColor: COLORS[i % COLORS.length],
          borderDash: s.dashed ? [6, 4] : [],
          borderWidth: 2,
          pointStyle: POINTS[i % POINTS.length],
          pointRadius: s.dashed ? 0 : 3,
          tension: 0,
          // Chart.js's 'before': level from a point, the step at the next.
          stepped: s.stepped ? 'before' : false,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: {
            type: 'linear', min: range ? range[0] : undefined, max: range ? range[1] : undefined,
            ticks: { callback: tick, maxRotation: 0, autoSkipPadding: 24 },
          },
          y: { beginAtZero: true, ticks: { callback: format, precision: 0 } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? `${utc(items[0].parsed.x)} UTC` : ''),
              label: (item) => `${item.dataset.label}: ${format(item.parsed.y)}`,
            },
          },
        },
      },
    });
  }

  // Removes the chart drawn on `canvas`, if any.
  function clear(canvas) {
    const chart = Chart.getChart(canvas);
    if (chart) chart.destroy();
    canvas.removeAttribute('aria-label');
  }

  // One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
  // line break. Text a spreadsheet would take for a formula (=, +, -, @ at
  // its start: an account name may be one) is written with a leading '.
  function csvField(value) {
    let text = String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  // The CSV text of `header` and `rows` (arrays), lines ended by CRLF.
  function csv(header, rows) {
    return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
  }

  // Offers `text` as the file `name` to save (a download of a Blob).
  function download(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    // The download has its bytes once click() returned; the URL can go soon.
    setTimeout(() => URL.revokeObjectURL(url), 60 * 1000);
  }

  ostor.charts = { bytes, count, utc, lineChart, clear, csv, download };
})((globalThis.ostor = globalThis.ostor || {}));
