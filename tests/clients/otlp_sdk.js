// Sends metrics to perfwatch through the OpenTelemetry JavaScript SDK's own
// OTLP/HTTP exporters, as an application would:
//   node otlp_sdk.js URL MODE     MODE: json|proto - cumulative|delta
// Two rounds of the same measurements, each exported by a forced flush:
//   counter        sdk.requests {request}   +3 +2 route=/a, +1 route=/b
//   UpDownCounter  sdk.queue.size {item}    +5 -2
//   observable gauge sdk.temperature Cel    21.5 room=lab
//   histogram      sdk.latency ms           5, 20, 300 route=/a
// Prints the resource's telemetry.sdk.version (a label the test must
// expect) and exits non-zero when an export fails.
'use strict';

const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { Resource } = require('@opentelemetry/resources');
const http = require('@opentelemetry/exporter-metrics-otlp-http');
const proto = require('@opentelemetry/exporter-metrics-otlp-proto');

async function main() {
  const [url, mode] = process.argv.slice(2);
  const [encoding, temporality] = (mode || '').split('-');
  if (!url || !['json', 'proto'].includes(encoding) ||
      !['cumulative', 'delta'].includes(temporality)) {
    throw new Error('usage: node otlp_sdk.js URL json|proto-cumulative|delta');
  }
  const options = {
    url,
    temporalityPreference: temporality === 'delta'
      ? http.AggregationTemporalityPreference.DELTA
      : http.AggregationTemporalityPreference.CUMULATIVE,
  };
  const exporter = encoding === 'json'
    ? new http.OTLPMetricExporter(options)
    : new proto.OTLPMetricExporter(options);
  const resource = Resource.default().merge(new Resource({ 'service.name': 'otlp-sdk-test' }));
  // forceFlush resolves even when an export fails: note every result.
  const failures = [];
  const noting = {
    export: (metrics, done) => exporter.export(metrics, (result) => {
      if (result.code !== 0) failures.push(result.error ? String(result.error) : 'failed');
      done(result);
    }),
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    selectAggregationTemporality: (kind) => exporter.selectAggregationTemporality(kind),
    selectAggregation: (kind) => exporter.selectAggregation(kind),
  };
  const reader = new PeriodicExportingMetricReader({
    exporter: noting, exportIntervalMillis: 3600000,
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('perfwatch-test', '1.0.0');

  const requests = meter.createCounter('sdk.requests', { unit: '{request}' });
  const queue = meter.createUpDownCounter('sdk.queue.size', { unit: '{item}' });
  const temperature = meter.createObservableGauge('sdk.temperature', { unit: 'Cel' });
  temperature.addCallback((result) => result.observe(21.5, { room: 'lab' }));
  const latency = meter.createHistogram('sdk.latency', { unit: 'ms' });

  for (let round = 0; round < 2; ++round) {
    requests.add(3, { route: '/a' });
    requests.add(2, { route: '/a' });
    requests.add(1, { route: '/b' });
    queue.add(5);
    queue.add(-2);
    for (const v of [5, 20, 300]) latency.record(v, { route: '/a' });
    await provider.forceFlush();
    if (failures.length > 0) throw new Error(`export ${round + 1} failed: ${failures.join('; ')}`);
  }
  console.log(JSON.stringify({ sdk_version: resource.attributes['telemetry.sdk.version'] }));
  // Exit without shutdown(): it would export a third time.
  process.exit(0);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
