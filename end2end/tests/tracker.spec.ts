import { test, expect, hydrated, demoAccounts, approveAs, subscribeFromList } from './fixtures';

test('sign in, subscribe on two forges, read one list, scroll, filter by label, sign out', async ({ page }) => {
  const { github, gitlab } = await demoAccounts(page);
  expect(github && gitlab).toBeTruthy();

  // Without a session the list is not reachable: it asks to sign in.
  await page.goto('/issues');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fissues$/);
  await hydrated(page);
  await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
  await approveAs(page, github);
  await page.waitForURL(/\/issues$/);
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();

  // Link the GitLab account too (the manager's "Link another" starts here).
  await page.goto('/auth/gitlab/start?next=/subscriptions');
  await approveAs(page, gitlab);
  await page.waitForURL(/\/subscriptions$/);
  await hydrated(page);
  await expect(page.locator('.linked__account')).toHaveCount(2);

  const repos = [...(await subscribeFromList(page, 'github', 2)), ...(await subscribeFromList(page, 'gitlab', 1))];
  expect(repos).toHaveLength(3);
  for (const repo of repos) {
    const row = page.locator(`.subscriptions tr[data-repository="${repo}"]`);
    await expect(row.locator('.sync--synced')).toBeVisible({ timeout: 60_000 });
  }
  // The items the three hold, as their rows say once all are synced.
  const itemsOf = () =>
    page.locator('.subscriptions tbody tr').evaluateAll((rows, names) =>
      rows
        .filter((r) => names.includes(r.getAttribute('data-repository') ?? ''))
        .map((r) => Number((r.querySelector('td.num a')?.textContent ?? '0').replace(/,/g, '')))
        .reduce((a, b) => a + b, 0),
      repos,
    );
  await expect.poll(itemsOf).toBeGreaterThan(50);
  const expected = await itemsOf();

  // One list across both forges: the total counts every item of the three.
  await page.goto('/issues');
  await hydrated(page);
  const total = Number(await page.getByTestId('issue-total').getAttribute('data-count'));
  expect(total).toBeGreaterThanOrEqual(expected);
  await expect(page.locator('.facet[data-facet=forge] .facet__value')).toHaveCount(2);
  const rows = page.getByTestId('issue');
  await expect(rows).toHaveCount(50);
  // Scrolling to the end loads the next page in place.
  await page.locator('.more').scrollIntoViewIfNeeded();
  await expect.poll(() => rows.count()).toBeGreaterThan(50);
  await expect(page).toHaveURL(/\/issues$/);

  // Filtering by a label: the address says so, every row carries it, and
  // the count the label showed is the list's total.
  await page.locator('.facet[data-facet=label] summary').click();
  const label = page.locator('.facet[data-facet=label] .facet__value').first();
  const name = (await label.locator('.facet__label').textContent())?.trim() ?? '';
  const count = Number(await label.locator('.facet__count').getAttribute('data-count'));
  await label.click();
  await expect(page).toHaveURL(/label=/);
  await expect(page.getByTestId('issue-total')).toHaveAttribute('data-count', String(count));
  const shown = Math.min(count, 50);
  await expect(rows).toHaveCount(shown);
  const labelled = await rows.evaluateAll((list, wanted) =>
    list.filter((row) => [...row.querySelectorAll('.label')].some((l) => l.textContent === wanted)).length,
    name,
  );
  expect(labelled).toBe(shown);
  // Reloading the filtered address shows the same list.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('issue-total')).toHaveAttribute('data-count', String(count));

  // On a narrow phone neither page is wider than the screen.
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ['/issues', '/subscriptions']) {
    await page.goto(path);
    await hydrated(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
  }

  // Signing out: the list and its server functions are out of reach.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await page.goto('/issues');
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  const status = await page.evaluate(async () => {
    const answer = await fetch('/api/issues', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=',
    });
    return answer.status;
  });
  expect(status).toBe(401);
});

test('a repository that does not exist is refused with a message naming it', async ({ page }) => {
  const { github } = await demoAccounts(page);
  await page.goto('/sign-in?next=/subscriptions');
  await hydrated(page);
  await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
  await approveAs(page, github);
  await page.waitForURL(/\/subscriptions$/);
  await hydrated(page);
  await page.getByLabel('Repository address').fill('github:nobody-here/nothing');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).first().click();
  await expect(page.getByTestId('action-problem')).toContainText('nobody-here/nothing');
});
