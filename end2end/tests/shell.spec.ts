import { test, expect, hydrated } from './fixtures';

test('home page is server-rendered, then hydrated', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  const html = await response!.text();
  expect(html).toContain('Every contribution, counted once');
  // scripts/test configures no forge, so Tally serves its simulated demo forges and says so.
  expect(html).toContain('Demo data.');
  await hydrated(page);
  await expect(page).toHaveTitle('Tally');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByRole('note')).toContainText('simulated');
});

test('the home page links each job to its page', async ({ page }) => {
  await page.goto('/');
  const jobs = page.getByRole('region', { name: 'What Tally does' });
  for (const [name, href] of [
    ['Issue tracker', '/issues'],
    ['Repository reports', '/reports'],
    ['Organisation health', '/health'],
    ['Discovery', '/discover'],
  ]) {
    await expect(jobs.getByRole('link', { name })).toHaveAttribute('href', href);
  }
  await expect(jobs.getByText('Planned')).toHaveCount(0);
  await jobs.getByRole('link', { name: 'Organisation health' }).click();
  await expect(page).toHaveURL(/\/health$/);
});

test('theme toggle changes the page and is remembered', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const html = page.locator('html');
  const toggle = page.getByRole('button', { name: /Colour theme/ });
  await expect(toggle).toHaveAttribute('data-choice', 'system');

  await toggle.click();
  await expect(toggle).toHaveAttribute('data-choice', 'light');
  await expect(html).toHaveAttribute('data-theme', 'light');

  await toggle.click();
  await expect(toggle).toHaveAttribute('data-choice', 'dark');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  const darkBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);

  await page.reload();
  await hydrated(page);
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(toggle).toHaveAttribute('data-choice', 'dark');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(darkBackground);

  await toggle.click();
  await expect(toggle).toHaveAttribute('data-choice', 'system');
  expect(await page.evaluate(() => localStorage.getItem('tally.theme'))).toBeNull();
});

test('no horizontal scroll at 360 px', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/');
  await hydrated(page);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
});

test('unknown pages answer 404 with a way back', async ({ page, pageErrors }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  // Chromium reports the document's own 404 as a console error; that one is expected.
  const expected = pageErrors.findIndex((e) => e.includes('status of 404'));
  if (expected >= 0) pageErrors.splice(expected, 1);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Back to the home page' }).click();
  await expect(page).toHaveURL(/\/$/);
});

test('health and readiness probes', async ({ request }) => {
  const health = await request.get('/healthz');
  expect(health.status()).toBe(200);
  expect(await health.text()).toBe('ok');
  const ready = await request.get('/readyz');
  expect(ready.status()).toBe(200);
  const body = await ready.json();
  expect(body.ready).toBe(true);
  expect(body.database.status).toBe('ok');
  expect(body.migrations.applied).toBe(body.migrations.expected);
});
