// Number formatting shared by the text table and the HTML report, so both show the
// same figures the same way.

/** Milliseconds: one decimal below 10 ms (where the best entries live), whole above. */
export function formatMs(valueMs: number): string {
  return valueMs < 10 ? valueMs.toFixed(1) : valueMs.toFixed(0);
}

export function formatPercent(value: number): string {
  return `${value.toFixed(2)}%`;
}

export function formatUsd(value: number): string {
  return `USD ${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
