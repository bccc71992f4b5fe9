import { test, expect, hydrated, createQuery, settledTotal, movedFrom, duplicateIds } from './fixtures';

test('a query gets its own address, fills in, pages and opens a day', async ({ page }) => {
  const url = await createQuery(page);
  const total = await settledTotal(page);
  await expect(page.locator('.accounts code').first()).toContainText('github:');

  const items = page.locator('.items > .item');
  const first = await items.count();
  expect(first).toBe(Math.min(total, 50));
  if (total > 50) {
    // Scrolling to the end of the list loads the next page in place.
    await page.locator('.more').scrollIntoViewIfNeeded();
    await expect.poll(() => items.count()).toBeGreaterThan(50);
    await expect(page).toHaveURL(url);
  }

  const dayLink = page.locator('.item__day').first();
  const day = (await dayLink.textContent())?.trim();
  await dayLink.click();
  await page.waitForURL(new RegExp(`/day/${day}$`));
  const onDay = Number(await page.getByTestId('period-total').textContent());
  expect(onDay).toBeGreaterThan(0);
  await expect(page.locator('.items > .item')).toHaveCount(onDay);

  await page.goto(url);
  await hydrated(page);
  expect(Number(await page.getByTestId('total').textContent())).toBe(total);
});

test('the same people in another order and case give the same address', async ({ page }) => {
  const url = await createQuery(page);
  await settledTotal(page);
  await page.goto('/');
  await hydrated(page);
  const example = (await page.getByTestId('example').textContent())?.trim() ?? '';
  const shuffled = example.split(' ').reverse().map((a) => a.toUpperCase().replace('GITHUB:', 'github:').replace('GITLAB:', 'gitlab:'));
  await page.getByLabel('People').fill(`Demo person = ${shuffled.join(', ')}`);
  await page.getByRole('button', { name: 'Count' }).click();
  await page.waitForURL(/\/q\/[A-Za-z0-9_-]{11}$/);
  expect(page.url()).toBe(url);
});

test('ticking a kind updates the address and the numbers at once, and back returns', async ({ page }) => {
  const url = await createQuery(page);
  const total = await settledTotal(page);
  await page.getByText('Change people, dates or filters').click();
  // No button: a tick is applied as it happens.
  await page.getByRole('checkbox', { name: 'Commit', exact: true }).check();
  const commitsUrl = await movedFrom(page, url);
  const commits = await settledTotal(page);
  expect(commits).toBeLessThanOrEqual(total);
  await expect(page.locator('.kind-totals li')).toHaveCount(1);
  // The editor stays open for the next change.
  await expect(page.getByRole('checkbox', { name: 'Commit', exact: true })).toBeChecked();
  await page.getByRole('checkbox', { name: 'Review', exact: true }).check();
  await movedFrom(page, commitsUrl);
  const both = await settledTotal(page);
  expect(both).toBeGreaterThanOrEqual(commits);
  await page.goBack();
  await expect(page).toHaveURL(commitsUrl);
  await expect(page.locator('.query-summary')).toHaveAttribute('data-hash', commitsUrl.split('/').pop() ?? '');
  await expect(page.getByTestId('total')).toHaveText(String(commits));
  await page.goBack();
  await expect(page).toHaveURL(url);
  await expect(page.getByTestId('total')).toHaveText(String(total));
});

test('leaving out a repository takes exactly its items away', async ({ page }) => {
  const url = await createQuery(page);
  const total = await settledTotal(page);
  const repository = (await page.locator('.item__repo').first().textContent())?.trim() ?? '';
  expect(repository).not.toBe('');
  await page.getByText('Change people, dates or filters').click();
  await page.getByLabel('Only repositories').fill(repository);
  await page.getByLabel('Only repositories').press('Enter');
  await movedFrom(page, url);
  const only = await settledTotal(page);
  await page.goto(url);
  await hydrated(page);
  await page.getByText('Change people, dates or filters').click();
  await page.getByLabel('Leave out repositories').fill(repository);
  await page.getByLabel('Leave out repositories').press('Enter');
  await movedFrom(page, url);
  await expect(page.getByTestId('total')).toHaveText(String(total - only));
  await expect(page.locator('.item__repo', { hasText: new RegExp(`^${repository}$`) })).toHaveCount(0);
});

test('a status filter keeps items without a status and the chosen status only', async ({ page }) => {
  const url = await createQuery(page);
  await settledTotal(page);
  await page.getByText('Change people, dates or filters').click();
  await page.getByRole('checkbox', { name: 'merged', exact: true }).check();
  await movedFrom(page, url);
  await settledTotal(page);
  const badges = await page.locator('.items .badge').allTextContents();
  expect(badges.every((b) => b.trim() === 'merged')).toBe(true);
});

test('a bad account is refused with the reason', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByLabel('People').fill('Ada = github:ada\nsourceforge:someone');
  // Said while typing, naming the line, before anything is sent.
  await expect(page.locator('#people-problem')).toContainText('line 2');
  await expect(page.locator('#people-problem')).toContainText('not a forge');
  await page.getByRole('button', { name: 'Count' }).click();
  await expect(page.locator('.form .error')).toContainText('not a forge');
  await expect(page).toHaveURL(/\/$/);
  await page.getByLabel('People').fill('Ada = github:ada');
  await expect(page.locator('#people-problem')).toBeEmpty();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a shared query link reads its tallies', async ({ browser }) => {
    const withJs = await browser.newPage({ javaScriptEnabled: true });
    const url = await createQuery(withJs);
    const total = await settledTotal(withJs);
    await withJs.close();
    const page = await browser.newPage({ javaScriptEnabled: false });
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(Number(await page.getByTestId('total').textContent())).toBe(total);
    await page.close();
  });

  test('an unknown query is a 404 page', async ({ page }) => {
    const response = await page.goto('/q/AAAAAAAAAAA');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  });
});

test('a person named like markup stays text on the page and in the graphs', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.goto('/');
  await hydrated(page);
  const example = (await page.getByTestId('example').textContent())?.trim() ?? '';
  // A name cannot hold `=` (it ends the name), so no attribute: tags only.
  const name = '<script>alert(1)</script><b>bold</b>';
  await page.getByLabel('People').fill(`${name} = ${example.split(' ').join(', ')}`);
  await page.getByRole('button', { name: 'Count' }).click();
  await page.waitForURL(/\/q\/[A-Za-z0-9_-]{11}$/);
  await settledTotal(page);
  await expect(page.getByText(name).first()).toBeVisible();
  await page.getByLabel('By person').check();
  // The weekly graph's tooltip over a week with contributions, as ECharts shows it.
  await page.evaluate(() => {
    const chart = (window as any).echarts.getInstanceByDom(document.querySelector('#weekly-graph'));
    const data: any[] = chart.getOption().series[0].data;
    const week = data.findIndex((v) => (typeof v === 'number' ? v : v?.value) > 0);
    chart.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: Math.max(week, 0) });
  });
  await expect(page.locator('#weekly-graph')).toContainText('<b>bold</b>');
  await expect(page.locator('#weekly-graph b, #weekly-graph script')).toHaveCount(0);
  await expect(page.locator('main b, main script')).toHaveCount(0);
  expect(dialogs).toEqual([]);
  expect(await duplicateIds(page)).toEqual([]);
});

test('the page gives snippets that show its calendar elsewhere, with its numbers', async ({ page, context, request }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const url = await createQuery(page);
  const total = await settledTotal(page);
  const hash = new URL(url).pathname.split('/').pop() ?? '';
  await page.getByText('Show it on another site').click();
  const text = await page.getByLabel('Calendar in Markdown').inputValue();
  const calendar = `${new URL(url).origin}/q/${hash}/calendar.svg`;
  expect(text).toBe(`[![Contributions](${calendar})](${url})`);
  const first = page.locator('.snippet').first();
  await first.getByRole('button', { name: 'Copy' }).click();
  await expect(first.getByRole('button')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
  await expect(page.locator('.embed__preview')).toBeVisible();

  // The picture the snippet names carries the page's numbers.
  const svg = await request.get(calendar);
  expect(svg.status()).toBe(200);
  expect(svg.headers()['content-type']).toContain('image/svg+xml');
  expect(await svg.text()).toContain(`data-total="${total}"`);

  // The exports linked beside it hold as many items as the page counts.
  const json = page.getByTestId('exports').getByRole('link', { name: 'JSON' }).first();
  const items = await request.get((await json.getAttribute('href')) ?? '');
  expect((await items.json()).items.length).toBe(total);
});

test('the form says what a query will cost before it is submitted', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await expect(page.getByTestId('cost')).toHaveCount(0);
  const example = (await page.getByTestId('example').textContent())?.trim() ?? '';
  await page.getByLabel('People').fill(`Demo person = ${example}`);
  await expect(page.getByTestId('cost')).toContainText(
    /(GitHub|GitLab): [\d,]+ pieces? of up to 92 days to fetch|nothing to fetch/,
  );
  // Asking the price creates nothing: the address is still the home page.
  await expect(page).toHaveURL(/\/$/);
});
