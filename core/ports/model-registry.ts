import type { ModelArtifact } from '../../engine/index.js';
import type { ChampionDecision, ModelVersion } from '../domain/model.js';

/** Model versions per store: artifacts as blobs, one registry row per version. */
export interface ModelRegistry {
  saveArtifacts(store: string, version: string, artifacts: readonly ModelArtifact[]): Promise<string>;
  loadArtifacts(blob: string): Promise<ModelArtifact[]>;
  /** Inserts a new version; throws `ConcurrencyConflict` if that version already exists. */
  register(model: ModelVersion): Promise<void>;
  get(store: string, version: string): Promise<ModelVersion | undefined>;
  /** Newest first. */
  list(store: string): Promise<ModelVersion[]>;
  champion(store: string): Promise<ModelVersion | undefined>;
  /** Records the gate's decision; when promoted, flips the champion flag from `previous` in one transaction. */
  decide(model: ModelVersion, decision: ChampionDecision, previous: ModelVersion | undefined): Promise<void>;
}
