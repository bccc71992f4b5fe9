import { defineConfig, devices } from '@playwright/test';

// scripts/test starts the release server and passes its address here.
const baseURL = process.env.TALLY_E2E_URL;
if (!baseURL) {
  throw new Error('TALLY_E2E_URL is not set: run the suite through scripts/test');
}

// Debian's Chromium: Playwright's own browser download cannot work offline.
// Background networking is off because this machine refuses outside connections.
const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'desktop',
      use: { ...devices['Desktop Chrome'], launchOptions },
    },
    {
      name: 'phone',
      use: { ...devices['Pixel 7'], launchOptions },
    },
  ],
});
