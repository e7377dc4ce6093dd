// Types of the generated validators module (scripts/schema-codegen.ts writes the .js beside this).
import type { ErrorObject } from 'ajv';

/** A precompiled ajv validator: true when valid; otherwise `errors` holds every problem. */
export interface GeneratedValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export declare const playbook: GeneratedValidator;
export declare const tasks: GeneratedValidator;
export declare const inventory: GeneratedValidator;
export declare const vars: GeneratedValidator;
