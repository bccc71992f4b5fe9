import { test, expect, createQuery, settledTotal, movedFrom } from './fixtures';
import type { Page } from '@playwright/test';

/// The drawn option of each graph matching `selector`, read back from ECharts.
async function options(page: Page, selector: string): Promise<any[]> {
  return page.evaluate((selector) => {
    const echarts = (window as any).echarts;
    return [...document.querySelectorAll(selector)].map((element) => {
      const chart = echarts.getInstanceByDom(element);
      const option = chart.getOption();
      return { id: chart.id, series: option.series, xAxis: option.xAxis };
    });
  }, selector);
}

/// Items per day over every year's calendar, as the heatmaps hold them.
async function calendarDays(page: Page): Promise<Map<string, number>> {
  const days = new Map<string, number>();
  for (const option of await options(page, '.graph-scroll .graph')) {
    for (const point of option.series[0].data ?? []) days.set(point.value[0], point.value[1]);
  }
  return days;
}

/// A tap on a touch screen, a click elsewhere.
async function press(page: Page, point: { x: number; y: number }) {
  const touch = await page.evaluate(() => navigator.maxTouchPoints > 0);
  if (touch) await page.touchscreen.tap(point.x, point.y);
  else await page.mouse.click(point.x, point.y);
}

const sum = (numbers: Iterable<number>) => [...numbers].reduce((a, b) => a + b, 0);

/// Waits until every graph has been drawn at least `times` times.
async function drawn(page: Page, times = 1) {
  const graphs = page.locator('.graphs .graph:not(.graph--pending)');
  await expect(graphs.first()).toBeAttached();
  for (const graph of await graphs.all()) {
    await expect.poll(async () => Number(await graph.getAttribute('data-drawn'))).toBeGreaterThanOrEqual(times);
  }
}

test('the graphs draw after hydration and count what the tallies count', async ({ page }, testInfo) => {
  await createQuery(page);
  const total = await settledTotal(page);
  await drawn(page);

  // One calendar per year of the (twelve-month) range, each year's days in it.
  const years = await page.locator('.graph-year').filter({ hasText: /^\d{4}$/ }).allTextContents();
  expect(years.length).toBeGreaterThanOrEqual(2);
  const days = await calendarDays(page);
  expect(sum(days.values())).toBe(total);

  // Weekly bars stack kinds; together they are the total too.
  const [weekly] = await options(page, '#weekly-graph');
  expect(sum(weekly.series.flatMap((s: any) => s.data))).toBe(total);
  const kinds = await page.locator('.kind-totals .kind').allTextContents();
  expect(weekly.series.map((s: any) => s.name).sort()).toEqual(kinds.sort());

  // The tables say the same in numbers.
  const toggles = page.getByRole('button', { name: 'Show as table' });
  while ((await toggles.count()) > 0) await toggles.first().click();
  const everyone = await page.getByTestId('days-table').locator('tbody tr td:last-child').allTextContents();
  expect(sum(everyone.map(Number))).toBe(total);
  const forges = await page.getByTestId('forges-table').locator('tbody td').allTextContents();
  expect(sum(forges.map(Number))).toBe(total);

  await testInfo.attach(`query page (${testInfo.project.name})`, {
    body: await page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
});

test('a calendar day and a weekly bar open their items', async ({ page }) => {
  const url = await createQuery(page);
  await settledTotal(page);
  await drawn(page);
  const days = await calendarDays(page);

  // The busiest day, found on its calendar and clicked (scrolled into view
  // inside its card first, as on a phone).
  const target = await page.evaluate(() => {
    const echarts = (window as any).echarts;
    let best: { day: string; n: number; index: number } | null = null;
    document.querySelectorAll('.graph-scroll .graph').forEach((element, index) => {
      for (const point of echarts.getInstanceByDom(element).getOption().series[0].data ?? []) {
        const [day, n] = point.value;
        if (!best || n > best.n) best = { day, n, index };
      }
    });
    return best!;
  });
  const point = await page.evaluate(({ day, index }) => {
    const element = document.querySelectorAll('.graph-scroll .graph')[index] as HTMLElement;
    const chart = (window as any).echarts.getInstanceByDom(element);
    const [x, y] = chart.convertToPixel({ calendarIndex: 0 }, day);
    const scroller = element.parentElement!;
    element.scrollIntoView({ block: 'center' });
    // Relative, so it works whichever end the calendar starts scrolled to.
    const middle = scroller.getBoundingClientRect().left + scroller.clientWidth / 2;
    scroller.scrollBy({ left: element.getBoundingClientRect().left + x - middle });
    const box = element.getBoundingClientRect();
    return { x: box.left + x, y: box.top + y };
  }, target);
  // A pointer's tooltip gives the exact number (a tap goes straight to the day).
  if (!(await page.evaluate(() => navigator.maxTouchPoints > 0))) {
    await page.mouse.move(point.x, point.y);
    const tooltip = page.locator('.graph-scroll div').filter({ hasText: target.day }).last();
    await expect(tooltip).toBeVisible();
    await expect(tooltip).toContainText(String(target.n));
  }
  await press(page, point);
  await page.waitForURL(new RegExp(`/day/${target.day}$`));
  await expect(page.getByTestId('period-total')).toHaveText(String(days.get(target.day)));
  await expect(page.locator('.items > .item')).toHaveCount(Math.min(target.n, 200));

  // A week's bar opens the week.
  await page.goto(url);
  await drawn(page);
  const [weekly] = await options(page, '#weekly-graph');
  const weeks: string[] = weekly.xAxis[0].data;
  const perWeek = weeks.map((_, i) => sum(weekly.series.map((s: any) => s.data[i] ?? 0)));
  const busiest = perWeek.indexOf(Math.max(...perWeek));
  const bar = await page.evaluate((index) => {
    const element = document.querySelector('#weekly-graph') as HTMLElement;
    element.scrollIntoView({ block: 'center' });
    const chart = (window as any).echarts.getInstanceByDom(element);
    const series = chart.getOption().series;
    // The top of the stack, half a pixel inside it.
    const top = series.reduce((a: number, s: any) => a + (s.data[index] ?? 0), 0);
    const [x, y] = chart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [index, top / 2]);
    const box = element.getBoundingClientRect();
    return { x: box.left + x, y: box.top + y };
  }, busiest);
  await press(page, bar);
  await page.waitForURL(/\/week\/\d{4}-W\d{2}$/);
  await expect(page.getByTestId('period-total')).toHaveText(String(perWeek[busiest]));
});

test('a filter redraws the same graphs with the narrower numbers', async ({ page }) => {
  const url = await createQuery(page);
  await settledTotal(page);
  await drawn(page);
  const [before] = await options(page, '#weekly-graph');
  expect(before.series.length).toBeGreaterThan(1);
  const calendarsBefore = (await options(page, '.graph-scroll .graph')).map((o) => o.id);

  await page.getByText('Change people, dates or filters').click();
  await page.getByRole('checkbox', { name: 'Commit', exact: true }).check();
  await movedFrom(page, url);
  const commits = await settledTotal(page);
  await expect.poll(async () => (await options(page, '#weekly-graph'))[0].series.length).toBe(1);
  const [after] = await options(page, '#weekly-graph');
  expect(after.series[0].name).toBe('Commit');
  expect(sum(after.series[0].data)).toBe(commits);
  // Redrawn in place: the same ECharts instances.
  expect(after.id).toBe(before.id);
  await expect.poll(async () => sum((await calendarDays(page)).values())).toBe(commits);
  expect((await options(page, '.graph-scroll .graph')).map((o) => o.id)).toEqual(calendarsBefore);

  // A legend entry hides its series; the graph keeps the others.
  const commitsUrl = page.url();
  await page.getByRole('checkbox', { name: 'Review', exact: true }).check();
  await movedFrom(page, commitsUrl);
  await expect.poll(async () => (await options(page, '#weekly-graph'))[0].series.length).toBe(2);
  const hidden = await page.evaluate(() => {
    const chart = (window as any).echarts.getInstanceByDom(document.querySelector('#weekly-graph'));
    chart.dispatchAction({ type: 'legendToggleSelect', name: 'Review' });
    return chart.getOption().legend[0].selected;
  });
  expect(hidden.Review).toBe(false);
});

test('at 360 px the calendar scrolls inside its card, not the page', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 780 });
  await createQuery(page);
  await settledTotal(page);
  await drawn(page);
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    scroller: (document.querySelector('.graph-scroll') as HTMLElement).scrollWidth,
  }));
  expect(widths.page).toBeLessThanOrEqual(widths.viewport);
  expect(widths.scroller).toBeGreaterThan(widths.viewport);
  // It opens on its latest weeks: the newest day with items is in view.
  const newestInView = await page.evaluate(() => {
    const element = document.querySelector('.graph-scroll .graph') as HTMLElement;
    const chart = (window as any).echarts.getInstanceByDom(element);
    const data = chart.getOption().series[0].data;
    const [x] = chart.convertToPixel({ calendarIndex: 0 }, data[data.length - 1].value[0]);
    const view = element.parentElement!.getBoundingClientRect();
    const at = element.getBoundingClientRect().left + x;
    return at >= view.left && at <= view.right;
  });
  expect(newestInView).toBe(true);
});
