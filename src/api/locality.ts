// Localities ("region/zone/subzone", as WorkloadEntry.locality and Istio's topology labels spell
// them): the check used by every kind that takes one, and the parsed form xDS carries.

export interface Locality {
  region: string;
  zone: string;
  subZone: string;
}

/** A validation check: undefined when `s` is a locality, else what was expected. */
export function checkLocality(s: string): string | undefined {
  const parts = s.split('/');
  return parts.length <= 3 && parts.every((p) => p !== '') ? undefined : 'expected "region", "region/zone" or "region/zone/subzone"';
}

/** "r/z/s" → {region, zone, subZone}; missing parts are "" (undefined or "" → all ""). */
export function parseLocality(s: string | undefined): Locality {
  const [region = '', zone = '', subZone = ''] = (s ?? '').split('/');
  return { region, zone, subZone };
}

export function localityText(l: Locality): string {
  return [l.region, l.zone, l.subZone].filter((p) => p !== '').join('/');
}
