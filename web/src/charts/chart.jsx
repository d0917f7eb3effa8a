// A chart's figure. Preact renders the frame once; the hub and the ChartController draw into it
// (uPlot, legend, caption value) without re-rendering the component.
import { useLayoutEffect, useRef } from 'preact/hooks';
import { hub } from './hub.js';

function selectors(def) {
  return def.series.map((s) => s.metric).filter((m, i, a) => a.indexOf(m) === i).join(', ');
}

// Props never change for a mounted chart (defs are constants), so Preact leaves the DOM that
// the controller writes alone.
export function Chart({ def }) {
  const fig = useRef(null);
  const plot = useRef(null);
  const legend = useRef(null);
  const now = useRef(null);
  const at = useRef(null);
  // A layout effect, not an effect: Preact runs effects a frame after the render, and the
  // chart's first draw (the page's first meaningful paint) would wait for it.
  useLayoutEffect(() => {
    const c = hub.create(def, {
      fig: fig.current,
      plot: plot.current,
      legend: legend.current,
      now: now.current,
      at: at.current,
    });
    return () => hub.remove(c);
  }, [def]);
  return (
    <figure class="chart" data-chart={def.id} ref={fig}>
      <figcaption title={selectors(def)}>
        <span class="title">{def.title}</span>
        <span class="at" ref={at} />
        <span class="now" ref={now} aria-live="off" />
      </figcaption>
      <div class="plot" ref={plot} role="img"
        aria-label={`${def.title} chart; drag across it to zoom`} />
      <ul class="legend" ref={legend} aria-label={`${def.title} series`} hidden />
    </figure>
  );
}

// Until the first tick says which metrics this host has, grey placeholders hold the layout, so
// the charts mount once, as one set (a range load then covers all of them).
export function ChartGrid({ defs, label, ready = true }) {
  return (
    <section class="grid" aria-label={label} aria-busy={ready ? undefined : 'true'}>
      {ready
        ? defs.map((def) => <Chart key={def.id} def={def} />)
        : defs.map((def) => <div key={def.id} class="chart-skeleton" aria-hidden="true" />)}
    </section>
  );
}
