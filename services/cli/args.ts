// The parser moved to services/lib/number-option.ts (agent drivers' probe commands use it too).
export { numberOption } from '../lib/number-option.ts';
