/** Byte sizes as users type them (`20MB`, `512k`) and as reports print them. */

const UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

export function parseBytes(text: string | number): number {
  if (typeof text === 'number') return text;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[(match[2] || 'b').toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`invalid size "${text}": use a number with a unit, such as 512KB, 20MB or 1GB`);
  return Math.round(Number(match[1]) * unit);
}

export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  for (const unit of ['B', 'KB', 'MB', 'GB']) {
    if (value < 1024 || unit === 'GB') return `${sign}${unit === 'B' ? value : value.toFixed(1)}${unit}`;
    value /= 1024;
  }
  return `${sign}${value}B`;
}
