import { dirname, resolve } from 'node:path';
import { parseYamlFile, readYamlText } from '../../services/domain/load-site.ts';
import type { Finding } from '../../services/domain/site-checks.ts';
import { Scenario } from './scenario-schema.ts';

/**
 * Reads a scenario file, validated like a site file: YAML syntax, schema (unknown keys
 * rejected), cross-checks; every problem names the file, line and key (SiteFileError with
 * `what` = "scenario file"). Reads only.
 */

const WHAT = 'scenario file';

/** Reads a scenario file; its historyFiles are relative to it (as a company file's sites are). */
export function loadScenarioFile(path: string): Scenario {
  const s = parseScenario(readYamlText(path, WHAT), path);
  if (s.btc.historyFiles) s.btc.historyFiles = s.btc.historyFiles.map((f) => resolve(dirname(path), f));
  if (s.power.priceFile) s.power.priceFile = resolve(dirname(path), s.power.priceFile);
  return s;
}

/** Validates scenario YAML text; `fileName` names it in messages. Throws SiteFileError. */
export function parseScenario(text: string, fileName: string): Scenario {
  return parseYamlFile(text, fileName, Scenario, crossCheckScenario, WHAT).value;
}

/** What the schema cannot say: one entry per tenant, conversion and decision block; bootstrap needs history. */
export function crossCheckScenario(s: Scenario): Finding[] {
  const out: Finding[] = [];
  const unique = (list: readonly { [k: string]: unknown }[], key: string, where: string) => {
    const seen = new Set<unknown>();
    list.forEach((item, i) => {
      if (seen.has(item[key])) out.push({ path: [where, i, key], message: `duplicate ${key} "${String(item[key])}"`, severity: 'error' });
      seen.add(item[key]);
    });
  };
  unique(s.tenants, 'contractId', 'tenants');
  unique(s.conversions, 'blockId', 'conversions');
  unique(s.decisions, 'blockId', 'decisions');
  if (s.btc.model === 'bootstrap' && !s.btc.historyFiles) out.push({ path: ['btc', 'historyFiles'], message: 'a bootstrap needs historyFiles (blockchain.com market-price exports)', severity: 'error' });
  if (s.btc.startFromHistory && !s.btc.historyFiles) out.push({ path: ['btc', 'startFromHistory'], message: 'startFromHistory needs historyFiles', severity: 'error' });
  if (s.btc.startFromHistory && s.btc.startPriceUsd !== undefined) out.push({ path: ['btc', 'startPriceUsd'], message: 'give startPriceUsd or startFromHistory, not both', severity: 'error' });
  if (s.btc.model === 'gbm' && s.btc.historyFiles && !s.btc.startFromHistory) out.push({ path: ['btc', 'historyFiles'], message: 'historyFiles are read only by model: bootstrap or startFromHistory', severity: 'error' });
  if (s.power.shape === 'file' && !s.power.priceFile) out.push({ path: ['power', 'shape'], message: 'shape: file needs power.priceFile', severity: 'error' });
  if (s.power.shape !== 'file' && s.power.priceFile) out.push({ path: ['power', 'priceFile'], message: 'priceFile is read only with shape: file', severity: 'error' });
  if (s.horizonMonths !== undefined) {
    s.btc.shocks.forEach((k, i) => {
      if (k.month > s.horizonMonths!) out.push({ path: ['btc', 'shocks', i, 'month'], message: `month ${k.month} is past the horizon (${s.horizonMonths} months)`, severity: 'error' });
    });
  }
  return out;
}
