import type { PooledArtifact, StoreAttributeTable } from '../../engine/index.js';
import type { PooledUse, StoragePorts } from '../ports/index.js';
import { describeError } from './runs.js';
import { quoteForReport, RUN_ID_PATTERN } from './ids.js';

/** What every store of a training request shares: the pooled artifact and the chain's store attributes. */
export interface SharedTrainingInputs {
  pooled?: { version: string; artifact: PooledArtifact };
  /** Why the store trains without a pooled artifact, when it was meant to have one (the run record says it). */
  pooledProblem?: string;
  attributes?: StoreAttributeTable;
  /** Why the stored attributes were not used (a table that fails validation). */
  attributesProblem?: string;
}

/**
 * The pooled artifact `use` names. `latest` follows the pointer; the version read from it is checked against
 * the run-id alphabet before it names a blob (a pointer row is one a trainer may write: `../x` must not make
 * anyone read another blob), and the artifact is validated by the engine's `parsePooledArtifact`. Nothing
 * here throws: a store without its pooled artifact still trains (the engine fits it alone), with the reason.
 */
export async function loadPooledArtifact(deps: Pick<StoragePorts, 'pooled'>, use: PooledUse | undefined): Promise<Pick<SharedTrainingInputs, 'pooled' | 'pooledProblem'>> {
  if (use === 'none') return { pooledProblem: "this run's pooled step produced no artifact" };
  let version: string | undefined;
  try {
    if (use === undefined || use === 'latest') {
      const named = await deps.pooled.latest();
      if (named === undefined) return {};
      if (!RUN_ID_PATTERN.test(named)) return { pooledProblem: `the latest pooled pointer names "${quoteForReport(named, 60)}", which is not a run id: refused` };
      version = named;
    } else {
      version = use.version;
      if (!RUN_ID_PATTERN.test(version)) return { pooledProblem: `pooled version "${quoteForReport(version, 60)}" is not a run id: refused` };
    }
    return { pooled: { version, artifact: await deps.pooled.read(version) } };
  } catch (error) {
    return { pooledProblem: `pooled artifact ${version ?? ''} unusable: ${describeError(error)}` };
  }
}

/** The stored store attributes, or why they are not used (the store then trains without attributes). */
export async function loadStoreAttributes(deps: Pick<StoragePorts, 'attributes'>): Promise<Pick<SharedTrainingInputs, 'attributes' | 'attributesProblem'>> {
  try {
    const table = await deps.attributes.read();
    return table === undefined ? {} : { attributes: table };
  } catch (error) {
    return { attributesProblem: describeError(error) };
  }
}

export async function loadSharedTrainingInputs(deps: Pick<StoragePorts, 'pooled' | 'attributes'>, use: PooledUse | undefined): Promise<SharedTrainingInputs> {
  const [pooled, attributes] = await Promise.all([loadPooledArtifact(deps, use), loadStoreAttributes(deps)]);
  return { ...pooled, ...attributes };
}
