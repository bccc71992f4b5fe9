import { test as base, expect, Page } from '@playwright/test';

/// Every test fails if the page logs a console error, throws, or breaks its
/// Content-Security-Policy: a wasm-opt that breaks the bundle shows up only
/// there, and so does an inline script without the page's nonce.
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
        });
      });
      page.on('console', (message) => {
        // A 4xx is an answer the test asked for (a 404 page, a refused
        // form); only server failures and script errors count.
        const clientError = /status of 4\d\d/.test(message.text());
        if (message.type() === 'error' && !clientError) errors.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
      await use(errors);
      expect(errors, 'console errors and uncaught page errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/// Waits until the wasm bundle has hydrated the page (frontend sets the mark).
export async function hydrated(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
}

/// Ids the page gives more than one element (labels, links and scripts
/// that name one would find the wrong one).
export async function duplicateIds(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
    return [...new Set(ids.filter((id, n) => ids.indexOf(id) !== n))];
  });
}

/// Fills the form with the demo's suggested accounts and submits it; the
/// browser lands on the query's own address.
export async function createQuery(page: Page): Promise<string> {
  await page.goto('/');
  await hydrated(page);
  const example = (await page.getByTestId('example').textContent())?.trim() ?? '';
  expect(example).toMatch(/^github:\S+/);
  await page.getByLabel('People').fill(`Demo person = ${example}`);
  await page.getByRole('button', { name: 'Count' }).click();
  await page.waitForURL(/\/q\/[A-Za-z0-9_-]{11}$/);
  return page.url();
}

/// Waits until the accounts are fetched and returns the total shown.
export async function settledTotal(page: Page): Promise<number> {
  await expect(page.getByTestId('total')).toBeVisible();
  await expect(page.getByRole('status')).toHaveCount(0, { timeout: 30_000 });
  const total = Number(await page.getByTestId('total').textContent());
  expect(total).toBeGreaterThan(0);
  return total;
}

/// Waits for the address to move to another query than `from`, and for the
/// page to show that query (the old numbers stay up while it loads).
export async function movedFrom(page: Page, from: string) {
  await page.waitForURL((next) => next.toString() !== from && /\/q\/[A-Za-z0-9_-]{11}$/.test(next.toString()));
  const hash = new URL(page.url()).pathname.split('/').pop() ?? '';
  await expect(page.locator('.query-summary')).toHaveAttribute('data-hash', hash);
  return page.url();
}

/// The demo's busiest GitHub and GitLab accounts (the home page suggests them).
export async function demoAccounts(page: Page): Promise<{ github: string; gitlab: string }> {
  await page.goto('/');
  await hydrated(page);
  const example = (await page.getByTestId('example').textContent())?.trim() ?? '';
  const login = (forge: string) => example.split(' ').find((a) => a.startsWith(`${forge}:`))?.split(':')[1] ?? '';
  return { github: login('github'), gitlab: login('gitlab') };
}

/// Picks `login` on the simulated forge's consent page and approves.
export async function approveAs(page: Page, login: string) {
  await expect(page.getByRole('button', { name: 'Authorize' })).toBeVisible();
  await page.locator('select[name=account]').selectOption(login);
  await page.getByRole('button', { name: 'Authorize' }).click();
}

/// Subscribes to the first `count` repositories of `forge` in the list the
/// person may read (or finds them subscribed already); returns their names.
export async function subscribeFromList(page: Page, forge: string, count: number): Promise<string[]> {
  const rows = page.locator('.readable__repo').filter({ has: page.locator(`.forge-tag--${forge}`) });
  await expect(rows.first()).toBeVisible();
  const chosen: string[] = [];
  for (let i = 0; chosen.length < count; i++) {
    const row = rows.nth(i);
    const name = (await row.getAttribute('data-repository')) ?? '';
    chosen.push(name);
    const button = row.getByRole('button', { name: 'Subscribe' });
    if (await button.count()) {
      await button.click();
      await expect(page.locator(`.subscriptions tr[data-repository="${name}"]`)).toBeVisible();
    }
  }
  return chosen;
}
