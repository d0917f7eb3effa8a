// Application metrics sent to perfwatch while a suite runs, so the apps view
// and the report have every figure: response time, requests/s, errors, cache,
// throughput and component timings.
export const HOSTILE_APP = '<img src=x onerror=window.__pwned=1>';
export const HOSTILE_COMPONENT = '<script>window.__pwned=2</script>';
export const BOLD_APP = '<b>bold</b>';

// Sends one second's worth of "shop" traffic by StatsD every second until
// the returned stop() is called.
export function feedShop(perfwatch) {
  const send = () => {
    const lines = [];
    for (let i = 0; i < 20; i++) {
      lines.push(`shop.request:${(10 + ((i * 7) % 40)).toFixed(1)}|ms|#status:${i === 0 ? 500 : 200}`);
    }
    lines.push('shop.cache.hits:9|c', 'shop.cache.misses:1|c', 'shop.cache.size:420|g',
               'shop.bytes:250000|c',
               'component.duration:35|ms|#component:Data Loading,app:shop',
               'component.duration:12|ms|#component:Rendering,app:shop');
    return perfwatch.statsd(lines).catch(() => {});
  };
  send();
  const timer = setInterval(send, 1000);
  return () => clearInterval(timer);
}

// The hostile names: an app by push (JSON), a component by StatsD, and an
// app label value holding markup.
export async function sendHostileNames(perfwatch) {
  const pushed = await perfwatch.push([
    { name: 'request_milliseconds', type: 'summary', values: [12, 30, 45],
      labels: { app: HOSTILE_APP, status: '200' } },
    { name: 'request_milliseconds', type: 'summary', values: [20, 25],
      labels: { app: BOLD_APP, status: '200' } },
  ]);
  if (pushed.accepted < 2) throw new Error(`push refused the hostile app: ${JSON.stringify(pushed)}`);
  await perfwatch.statsd([`component.duration:17|ms|#component:${HOSTILE_COMPONENT},app:shop`]);
}
