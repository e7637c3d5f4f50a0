import { existsSync } from 'node:fs';
import { tempDir } from '@orrery/testkit';
import { type BrowserContext, chromium } from 'playwright-core';

/** The Debian package's browser; the tests need `apt-get install chromium`. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the system Chromium is installed. */
export const haveChromium = existsSync(CHROMIUM);

/**
 * Launches headless Chromium with a fresh profile and no background network; `close()` ends it and removes
 * the profile.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = tempDir('orrery-chromium-');
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    timeout: 120_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      profile.remove();
    },
  };
}

/** What the report page says about each of its charts. */
export interface ChartProbe {
  readonly id: string;
  /** The chart has been rendered into a canvas of non-zero size. */
  readonly canvas: boolean;
  /** Points per series, by series name. */
  readonly points: Record<string, number>;
}

/** Opens a report file and reads back every ECharts instance's series sizes, and blocked requests. */
export async function probeReport(
  context: BrowserContext,
  file: string,
): Promise<{ charts: ChartProbe[]; requests: string[]; errors: string[] }> {
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file://')) requests.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${file}`);
  await page.waitForFunction(
    () => (globalThis as unknown as { orreryCharts?: unknown }).orreryCharts !== undefined,
    null,
    {
      timeout: 60_000,
    },
  );
  const charts = await page.evaluate(() => {
    type Canvas = { width: number; height: number };
    const w = globalThis as unknown as {
      orreryCharts: Record<
        string,
        {
          getDom(): { querySelector(s: string): Canvas | null };
          getOption(): { series: { name: string; data?: unknown[] }[]; dataset?: { source: unknown[] }[] };
        }
      >;
    };
    return Object.entries(w.orreryCharts).map(([id, chart]) => {
      const opt = chart.getOption();
      const canvas = chart.getDom().querySelector('canvas');
      const rows = opt.dataset?.[0]?.source.length ?? 0;
      return {
        id,
        canvas: canvas !== null && canvas.width > 0 && canvas.height > 0,
        points: Object.fromEntries(opt.series.map((s) => [s.name, s.data?.length ?? rows])),
      };
    });
  });
  await page.close();
  return { charts, requests, errors };
}

/** What the report page shows besides its charts: its tables and the equity chart's log-scale toggle. */
export interface PanelProbe {
  /** Body rows per table id (`table-summary`, `table-symbols`, `table-monthly`, `table-trades`). */
  readonly tables: Record<string, number>;
  /** Every cell of each table's body, as text, by table id. */
  readonly cells: Record<string, string[][]>;
  /** The equity chart's y-axis type before and after ticking the log-scale box (and after unticking). */
  readonly axis: { readonly before: string; readonly log: string; readonly after: string };
  readonly logEnabled: boolean;
}

/** Opens a report file, reads its tables and flips the equity chart to log scale and back. */
export async function probePanels(context: BrowserContext, file: string): Promise<PanelProbe> {
  const page = await context.newPage();
  await page.goto(`file://${file}`);
  await page.waitForFunction(
    () => (globalThis as unknown as { orreryCharts?: unknown }).orreryCharts !== undefined,
    null,
    { timeout: 60_000 },
  );
  const axisType = () =>
    page.evaluate(() => {
      const w = globalThis as unknown as {
        orreryCharts: { equity: { getOption(): { yAxis: { type: string }[] } } };
      };
      return w.orreryCharts.equity.getOption().yAxis[0]!.type;
    });
  const tables = await page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } })
      .document;
    type El = { id: string; querySelectorAll(s: string): ArrayLike<El>; textContent: string | null };
    const out: Record<string, string[][]> = {};
    for (const t of Array.from(doc.querySelectorAll('table[id^="table-"]') as ArrayLike<El>)) {
      const rows = Array.from(t.querySelectorAll('tbody tr, :scope > tr'));
      out[t.id] = rows.map((r) =>
        Array.from(r.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim()),
      );
    }
    return out;
  });
  const box = page.locator('#log-equity');
  const logEnabled = await box.isEnabled();
  const before = await axisType();
  let log = before;
  let after = before;
  if (logEnabled) {
    await box.check();
    log = await axisType();
    await box.uncheck();
    after = await axisType();
  }
  await page.close();
  return {
    tables: Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.length])),
    cells: tables,
    axis: { before, log, after },
    logEnabled,
  };
}
