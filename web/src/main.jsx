// Entry point: render the shell at once (no fetch blocks the first paint), then connect.
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { render } from 'preact';
import './lib/theme.js';
import { App } from './app.jsx';
import { connect, noteNames, perf, setStatus } from './lib/live.js';
import { getJSON } from './lib/api.js';
import { loadMetadata } from './lib/metrics.js';
import { hub } from './charts/hub.js';
import { OVERVIEW } from './charts/defs.js';
import { route } from './lib/route.js';

// Asked for before anything renders: the metadata decides which charts mount, and the
// overview's live backfill is what they first draw (the first meaningful paint waits on both).
const metadata = loadMetadata();
const root = document.getElementById('app');
root.replaceChildren(); // index.html's boot line: Preact would keep it beside the page
render(<App />, root);
performance.mark('perfwatch:shell');
const start = route.get();
if (start.view === 'overview' && start.range.kind === 'live') hub.prefetch(OVERVIEW);
connect();
metadata.then(noteNames, (err) => console.warn(`perfwatch: metadata: ${err.message}`));
getJSON('/api/v1/status').then(setStatus, () => {});
getJSON('/api/v1/health').then((h) => { perf.version = h.version; }, () => {});
