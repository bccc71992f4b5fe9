import { test, expect, hydrated } from './fixtures';

test('check three organisations (one missing), read the tables and graphs, open the shared address', async ({ page }) => {
  await page.goto('/health');
  await hydrated(page);
  // The demo suggests its biggest organisation on each forge.
  const example = (await page.getByTestId('health-example').textContent())?.trim() ?? '';
  const addresses = example.split(' · ');
  expect(addresses.length).toBeGreaterThanOrEqual(2);
  const [first, second] = addresses;
  const missing = `${new URL(first).origin}/no-such-organisation`;
  await page.getByLabel('Organisations, one address per line').fill([first, second, missing].join('\n'));
  await page.getByRole('button', { name: 'Check' }).click();
  await page.waitForURL(/\/health\?urls=/);

  const table = page.getByTestId('health-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('missing')).toContainText(missing);
  // The total row adds up the organisations' repositories.
  const repositories = async (row: ReturnType<typeof table.locator>) =>
    Number((await row.locator('td').first().textContent())?.replace(/,/g, ''));
  const each = [await repositories(table.locator('tbody tr').nth(0)), await repositories(table.locator('tbody tr').nth(1))];
  expect(await repositories(table.locator('tfoot tr'))).toBe(each[0] + each[1]);
  for (const graph of ['#health-languages', '#health-stars']) {
    await expect(page.locator(graph)).toHaveAttribute('data-drawn', /[1-9]/, { timeout: 20_000 });
  }
  // Each graph's table says the same in numbers.
  await page.getByText('As a table').first().click();
  await expect(page.getByTestId('health-languages').locator('tbody tr').first()).toBeVisible();

  // The address is the check: opened afresh, it shows the same.
  const shared = page.url();
  await page.goto('about:blank');
  await page.goto(shared);
  await hydrated(page);
  await expect(page.getByTestId('health-table').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByLabel('Organisations, one address per line')).toHaveValue([first, second, missing].join('\n'));
});

test('a refused address is named, and the form keeps what was typed', async ({ page }) => {
  await page.goto('/health?urls=http%3A%2F%2F169.254.169.254%2Flatest');
  await hydrated(page);
  await expect(page.getByRole('alert')).toContainText('169.254.169.254');
  await expect(page.getByLabel('Organisations, one address per line')).toHaveValue('http://169.254.169.254/latest');
});
