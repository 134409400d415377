import type { ModelScope, ModelStatus } from '@spot/contract';
import { DomainError } from './errors.ts';

/**
 * A model's status (the model registry), pure: uploaded → validated | rejected (validation may
 * run again while not active), validated | retired → active in one scope, active → retired
 * (deactivated, or superseded by another model activated in its scope). Only a validated model
 * is ever activated: a retired one was validated before it was active.
 */
export type ModelAction =
  | { type: 'validated'; ok: boolean }
  | { type: 'activate'; scope: ModelScope }
  | { type: 'deactivate' }
  | { type: 'supersede' };

export interface ModelState {
  status: ModelStatus;
  scope: string | null;
}

export function nextModelState(current: ModelState, action: ModelAction): ModelState {
  const refuse = (why: string) =>
    new DomainError('INVALID_TRANSITION', why, { status: current.status, action: action.type });
  switch (action.type) {
    case 'validated':
      if (current.status === 'active')
        throw refuse('an active model cannot be validated again; deactivate it first');
      if (current.status === 'retired' && !action.ok)
        throw refuse('a retired model stays as it was validated');
      return { status: action.ok ? 'validated' : 'rejected', scope: null };
    case 'activate':
      if (current.status === 'validated' || current.status === 'retired')
        return { status: 'active', scope: action.scope };
      if (current.status === 'active') {
        if (current.scope === action.scope) return current;
        throw refuse(`the model is active in scope ${current.scope}; deactivate it first`);
      }
      throw refuse(
        current.status === 'rejected'
          ? 'the model failed validation and cannot be activated'
          : 'the model must be validated before it is activated',
      );
    case 'deactivate':
    case 'supersede':
      if (current.status !== 'active') throw refuse('the model is not active');
      return { status: 'retired', scope: null };
  }
}
