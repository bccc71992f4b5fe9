import { test, expect, hydrated, Page } from './fixtures';

/// The demo's busiest GitHub account (the home page suggests it).
async function demoGitHub(page: Page): Promise<string> {
  await page.goto('/');
  await hydrated(page);
  const example = (await page.getByTestId('example').textContent())?.trim() ?? '';
  return example.split(' ').find((a) => a.startsWith('github:'))?.split(':')[1] ?? '';
}

test('start a discovery from a seed, watch it finish, browse developers and a network, open the API docs', async ({ page }) => {
  const seed = await demoGitHub(page);
  expect(seed).toBeTruthy();

  // Signed out, the page says how to start a crawl.
  await page.goto('/discover');
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();

  await page.goto('/auth/github/start?next=/discover');
  await expect(page.getByRole('button', { name: 'Authorize' })).toBeVisible();
  await page.locator('select[name=account]').selectOption(seed);
  await page.getByRole('button', { name: 'Authorize' }).click();
  await page.waitForURL(/\/discover$/);
  await hydrated(page);

  // A profile sync of the seed, then watch its progress to the end.
  await page.getByLabel('Task').selectOption('full_profile_sync');
  await page.getByLabel('Username').fill(seed);
  await page.getByRole('button', { name: 'Start' }).click();
  const run = page.getByTestId('run').filter({ hasText: seed }).first();
  await expect(run).toBeVisible();
  await expect(run).toHaveAttribute('data-state', 'succeeded', { timeout: 60_000 });
  await expect(run.locator('progress')).toHaveAttribute('value', /[1-9]/);

  // The list now holds the seed and their network.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('developer').first()).toBeVisible();
  const count = Number((await page.getByTestId('count').textContent())?.split(' ')[0].replace(/,/g, ''));
  expect(count).toBeGreaterThan(1);
  await page.getByLabel('Login or name').fill(seed);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(new RegExp(`search=${seed}`));
  await expect(page.getByTestId('count')).toHaveText(/^1 developer$/);

  // The seed's page: numbers, the drawn network and its tables.
  await page.getByTestId('developer').getByRole('link', { name: seed, exact: true }).click();
  await page.waitForURL(/\/discover\/developers\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(seed);
  await expect(page.locator('#network-graph')).toHaveAttribute('data-drawn', /[1-9]/, { timeout: 20_000 });
  await expect(page.getByTestId('followers').locator('tbody tr').first()).toBeVisible();

  // Repositories, then the API's own documentation.
  await page.goto('/discover/repositories?ordering=-stars');
  await hydrated(page);
  await expect(page.getByTestId('repository').first()).toBeVisible();
  await page.goto('/api/docs/');
  await expect(page.locator('.swagger-ui').first()).toBeVisible();
  await expect(page.getByText('/api/v1/tasks').first()).toBeVisible();
});
