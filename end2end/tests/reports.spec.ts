import { test, expect, hydrated, demoAccounts, approveAs, subscribeFromList, duplicateIds } from './fixtures';

test('a kept repository opens its report: people and KPIs as the API counts them, graphs drawn, the range in the address', async ({ page }) => {
  // Signing in, two syncs, three reports and an items page: more than the default 30 s.
  test.setTimeout(120_000);
  const { github } = await demoAccounts(page);
  await page.goto('/auth/github/start?next=/subscriptions');
  await approveAs(page, github);
  await page.waitForURL(/\/subscriptions$/);
  await hydrated(page);
  const candidates = await subscribeFromList(page, 'github', 2);
  const items: Record<string, number> = {};
  for (const name of candidates) {
    const row = page.locator(`.subscriptions tr[data-repository="${name}"]`);
    await expect(row.locator('.sync--synced')).toBeVisible({ timeout: 90_000 });
    items[name] = Number(((await row.locator('td.num a').first().textContent()) ?? '0').replace(/,/g, ''));
  }
  // The busier of the two, so that the range holds people.
  const repo = candidates.reduce((a, b) => (items[b] > items[a] ? b : a));

  // The reports page lists what is kept; a report opens from there.
  await page.goto('/reports');
  await hydrated(page);
  await page.getByTestId('reportable').getByRole('link', { name: `github:${repo}`, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/reports/github/${repo}$`));
  // Its pull requests and commits may still be being read (the page asks again every 5 s).
  await expect(page.getByTestId('report-heading')).toContainText(repo, { timeout: 30_000 });
  await expect(page.getByTestId('report-kpis')).toContainText('Bug share');

  // The whole demo world (two years): the range goes into the address, to be shared.
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const [from, to] = [day(729), day(0)];
  await hydrated(page);
  await page.getByLabel('From', { exact: true }).fill(from);
  await page.getByLabel('To', { exact: true }).fill(to);
  await page.getByRole('button', { name: 'Report' }).click();
  await page.waitForURL(new RegExp(`from=${from}`));
  expect(page.url()).toContain(`to=${to}`);
  await expect(page.getByTestId('report-heading')).toContainText(`${from} to ${to}`);

  // Every row and number of the table is the API's.
  const api = await (await page.request.get(`/api/v1/reports/github/${repo}?from=${from}&to=${to}`)).json();
  expect(api.people.length).toBeGreaterThan(0);
  const rows = page.getByTestId('report-people-table').locator('tbody tr');
  await expect(rows).toHaveCount(api.people.length);
  const shown = await rows.evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => Number((td.textContent ?? '').replace(/,/g, '')))),
  );
  const kinds = ['commits', 'pulls_opened', 'pulls_merged', 'reviews', 'issues_opened', 'issue_comments'];
  expect(shown).toEqual(api.people.map((p: Record<string, number>) => kinds.map((k) => p[k])));
  const csv = page.getByRole('link', { name: 'As CSV' });
  await expect(csv).toHaveAttribute('href', /format=csv/);

  // A person's count opens the items behind it: as many, all theirs.
  const busiest = api.people[0];
  const kind = kinds.find((k) => busiest[k] > 0)!;
  const cell = rows.first().locator('td').nth(kinds.indexOf(kind));
  await cell.getByRole('link').click();
  await page.waitForURL(/\/reports\/items\?/);
  expect(page.url()).toContain(`kind=${kind}`);
  await expect(page.getByTestId('items-count')).toHaveText(`${busiest[kind].toLocaleString('en-US')} item${busiest[kind] === 1 ? '' : 's'}`);
  const listed = page.getByTestId('items-table').locator('tbody tr');
  await expect(listed).toHaveCount(Math.min(busiest[kind], 20));
  const accounts = await listed.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[3].textContent));
  expect(new Set(accounts)).toEqual(new Set([busiest.accounts[0].account]));
  await page.getByRole('link', { name: 'Back to the report' }).click();
  await expect(page.getByTestId('report-heading')).toContainText(`${from} to ${to}`);

  // A pattern that matches no label: no bugs, and the pattern in the address.
  await hydrated(page);
  await page.locator('summary', { hasText: 'Patterns' }).click();
  // By id: the label's text holds the textarea's (its server-rendered value), so no exact label matches.
  await page.locator('#report-bug').fill('^no-such-label$');
  await page.getByRole('button', { name: 'Report' }).click();
  await page.waitForURL(/bug=/);
  const opened = api.issues.opened.toLocaleString('en-US');
  await expect(page.getByTestId('report-kpis')).toContainText(`0.0% (0 of ${opened} issues opened)`);

  // Two accounts joined into one person: one row, their counts summed.
  const [a, b] = api.people
    .map((p: { accounts: { account: string }[] }) => p.accounts[0].account)
    .filter((name: string) => !/\s/.test(name));
  await hydrated(page);
  expect(await duplicateIds(page)).toEqual([]);
  await page.locator('summary', { hasText: 'Join accounts into people' }).click();
  await page.locator('#report-person').fill(`Pair = github:${a} github:${b}`);
  await page.getByRole('button', { name: 'Report' }).click();
  await page.waitForURL(/person=/);
  await expect(rows).toHaveCount(api.people.length - 1);
  const pair = rows.filter({ has: page.locator('th', { hasText: 'Pair' }) });
  await expect(pair).toHaveCount(1);
  const sum = (k: string) =>
    api.people
      .filter((p: { accounts: { account: string }[] }) => [a, b].includes(p.accounts[0].account))
      .reduce((n: number, p: Record<string, number>) => n + p[k], 0);
  await expect(pair.locator('td').nth(0)).toHaveText(sum('commits').toLocaleString('en-US'));

  // The graphs draw, and nothing is wider than the screen.
  for (const graph of ['#report-people', '#report-months', '#report-ages']) {
    await expect(page.locator(graph)).toHaveAttribute('data-drawn', /[1-9]/, { timeout: 20_000 });
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test('an unknown repository and a bad pattern are refused with a message naming them', async ({ page }) => {
  await page.goto('/reports/github/nobody/nothing');
  await expect(page.getByRole('alert')).toContainText('nobody/nothing');
  await page.goto('/reports?r=github%3Anobody%2Fnothing&bug=%5B');
  await expect(page.getByRole('alert')).toContainText('bug');
});
