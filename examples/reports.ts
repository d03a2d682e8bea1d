// Write-all fan-out and dependency arithmetic.
//   jm enqueue reports extract --json '{"region": "ALL", "format": "ALL", "year": 2026}'
// runs no extract itself: it inserts one job per region x format (3 x 2 = 6 jobs).
import { Dependency, same, task } from 'jobmaster';

export class Reports {
  /**
   * Extract one region's figures for a year.
   *
   * @param region where the figures come from
   * @param format the file format to write
   * @param year the year to extract
   */
  @task({
    writeAll: ['region', 'format'],
    params: {
      region: { selectFrom: ['eu', 'us', 'asia'] },
      format: { selectFrom: ['csv', 'json'] },
      year: { type: 'integer' },
    },
  })
  static extract(region: string, format: string, year: number): { region: string; format: string; year: number; rows: number } {
    return { region, format, year, rows: region.length * 100 + (year % 100) };
  }

  /**
   * Compare a region's year with the year before; needs both extracts, in JSON.
   *
   * @param region the region to compare
   * @param year the later year
   */
  @task({
    dependencies: [
      Dependency(() => Reports.extract, 24, { region: same, format: 'json', year: same }),
      Dependency(() => Reports.extract, 24, { region: same, format: 'json', year: same.minus(1) }),
    ],
    params: { region: { selectFrom: ['eu', 'us', 'asia'] }, year: { type: 'integer' } },
  })
  static compare(region: string, year: number): string {
    return `${region}: ${year - 1} vs ${year}`;
  }
}
