// Time from navigation to the first drawn graph of a query page on a phone
// (Pixel 7 viewport and touch) with the CPU slowed 4x through the DevTools
// protocol. Each run opens a fresh browser context, so nothing is cached.
// Prints one JSON line per run, then the medians.
//
//   node end2end/bench/graphs-timing.mjs URL [RUNS]
import { chromium, devices } from '@playwright/test';

const [url, runs = '5'] = process.argv.slice(2);
if (!url) throw new Error('usage: graphs-timing.mjs URL [RUNS]');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
const results = [];
for (let run = 0; run < Number(runs); run++) {
  const context = await browser.newContext({ ...devices['Pixel 7'] });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('tally:graph-drawn').length > 0, null, {
    timeout: 120_000,
  });
  const times = await page.evaluate(() => {
    const at = (name) => Math.round(performance.getEntriesByName(name)[0]?.startTime ?? NaN);
    return {
      first_contentful_paint_ms: at('first-contentful-paint'),
      first_graph_drawn_ms: at('tally:graph-drawn'),
    };
  });
  console.log(JSON.stringify({ run, ...times }));
  results.push(times);
  await context.close();
}
await browser.close();

const median = (key) => {
  const sorted = results.map((r) => r[key]).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
console.log(
  `phone, CPU 4x slower, ${results.length} cold runs: first paint (the numbers) ` +
    `${median('first_contentful_paint_ms')} ms, first graph drawn ${median('first_graph_drawn_ms')} ms (medians)`,
);
