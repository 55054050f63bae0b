import { checkJobName } from '../jobs/index.js';
import { ApiValidationError } from './api-error.js';

/** The submitted job name, trimmed; a blank one or one with control characters is a 400. */
export function readJobName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const checked = checkJobName(raw);
  if (!checked.ok) throw new ApiValidationError('/name', checked.message);
  return checked.name;
}
