import { test as base, expect, Page } from '@playwright/test';

/// Every test fails if the page logs a console error or throws: a wasm-opt
/// that breaks the bundle shows up only there.
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
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
