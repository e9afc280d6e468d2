// Input validation for SSM requests, answered the way SSM's model validation does
// (ValidationException "1 validation error detected: ...").
import { AwsError, constraintError } from './awsError.ts';

export type Input = Record<string, unknown>;

export const asInput = (body: unknown): Input => {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
  return body as Input;
};

const member = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);

const invalid = (key: string, value: unknown, constraint: string): AwsError =>
  constraintError('ValidationException', member(key), value, constraint);

const notNull = (key: string): AwsError =>
  new AwsError(
    'ValidationException',
    `1 validation error detected: Value null at '${member(key)}' failed to satisfy constraint: Member must not be null`,
  );

type StringRules = { min?: number; max?: number; pattern?: RegExp };

const checkString = (key: string, value: unknown, rules: StringRules): string => {
  if (typeof value !== 'string') throw new AwsError('SerializationException', `Expected a string for ${key}`);
  if (rules.min !== undefined && value.length < rules.min)
    throw invalid(key, value, `Member must have length greater than or equal to ${rules.min}`);
  if (rules.max !== undefined && value.length > rules.max)
    throw invalid(key, value, `Member must have length less than or equal to ${rules.max}`);
  if (rules.pattern && !rules.pattern.test(value))
    throw invalid(key, value, `Member must satisfy regular expression pattern: ${rules.pattern.source}`);
  return value;
};

export const optString = (input: Input, key: string, rules: StringRules = {}): string | undefined =>
  input[key] === undefined || input[key] === null ? undefined : checkString(key, input[key], rules);

export const reqString = (input: Input, key: string, rules: StringRules = {}): string => {
  const value = optString(input, key, rules);
  if (value === undefined) throw notNull(key);
  return value;
};

export const optInt = (input: Input, key: string, min: number, max: number): number | undefined => {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsError('SerializationException', `Expected an integer for ${key}`);
  if (value < min) throw invalid(key, value, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw invalid(key, value, `Member must have value less than or equal to ${max}`);
  return value;
};

export const optBool = (input: Input, key: string): boolean | undefined => {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AwsError('SerializationException', `Expected a boolean for ${key}`);
  return value;
};

export const optList = (input: Input, key: string, max: number): unknown[] | undefined => {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new AwsError('SerializationException', `Expected a list for ${key}`);
  if (value.length > max) throw invalid(key, value, `Member must have length less than or equal to ${max}`);
  return value;
};

/** A list of strings where each element has its own constraints (reported like Coral does for members). */
export const optStringList = (input: Input, key: string, max: number, element: StringRules): string[] | undefined => {
  const list = optList(input, key, max);
  if (!list) return undefined;
  for (const item of list) {
    if (typeof item !== 'string') throw new AwsError('SerializationException', `Expected strings in ${key}`);
    const broken =
      (element.min !== undefined && item.length < element.min) ||
      (element.max !== undefined && item.length > element.max) ||
      (element.pattern && !element.pattern.test(item));
    if (broken) {
      const rules = [
        element.max !== undefined ? `Member must have length less than or equal to ${element.max}` : undefined,
        element.min !== undefined ? `Member must have length greater than or equal to ${element.min}` : undefined,
        element.pattern ? `Member must satisfy regular expression pattern: ${element.pattern.source}` : undefined,
      ].filter(Boolean);
      throw invalid(key, list, `Member must satisfy constraint: [${rules.join(', ')}]`);
    }
  }
  return list as string[];
};

export const optObject = (input: Input, key: string): Input | undefined => {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  return asInput(value);
};

export const COMMAND_ID = { min: 36, max: 36 };
export const INSTANCE_ID = { min: 10, max: 20, pattern: /(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/ };
