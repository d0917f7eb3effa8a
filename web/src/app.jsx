// The page: header, the current view, and the dialogs. The view and range come from the URL.
import { useEffect } from 'preact/hooks';
import { useStore } from './lib/store.js';
import { route } from './lib/route.js';
import { Header } from './components/header.jsx';
import { AckDialog, SilenceDialog, TokenDialog } from './components/dialogs.jsx';
import { Overview } from './views/overview.jsx';
import { System } from './views/system.jsx';
import { Apps } from './views/apps.jsx';
import { Alerts } from './views/alerts.jsx';
import { Analysis } from './views/analysis.jsx';
import { Tuning } from './views/tuning.jsx';

const VIEWS = {
  overview: Overview, system: System, apps: Apps, alerts: Alerts, tuning: Tuning,
  analysis: Analysis,
};
const TITLES = {
  overview: 'Overview', system: 'System', apps: 'Applications', alerts: 'Alerts',
  tuning: 'Auto-tuning', analysis: 'Analysis',
};

export function App() {
  const { view, range } = useStore(route);
  const View = VIEWS[view];
  useEffect(() => {
    document.title = `${TITLES[view]} · perfwatch`;
  }, [view]);
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main').focus()}>
        Skip to content
      </button>
      <Header view={view} range={range} />
      <main id="main" data-view={view} tabIndex={-1} aria-label={TITLES[view]}>
        <View key={view} />
      </main>
      <AckDialog />
      <SilenceDialog />
      <TokenDialog />
    </>
  );
}
