/**
 * A Convex validator as a registered function exports it (`exportArgs()`),
 * applied to a value: what `npx convex run` would refuse before the
 * function runs. Pure.
 */
export type ValidatorJson = {
  type: string;
  value?: unknown;
  tableName?: string;
  keys?: ValidatorJson;
  values?: { fieldType: ValidatorJson };
};

type Field = { fieldType: ValidatorJson; optional: boolean };

/** Why `validator` refuses `value`, or null when it accepts it. */
export function checkValue(
  value: unknown,
  validator: ValidatorJson,
  path = "args",
): string | null {
  const refuse = (what: string) =>
    `${path} is ${JSON.stringify(value)}, not ${what}`;
  switch (validator.type) {
    case "any":
      return null;
    case "null":
      return value === null ? null : refuse("null");
    case "number":
      return typeof value === "number" ? null : refuse("a number");
    case "bigint":
      return typeof value === "bigint" ? null : refuse("an int64");
    case "boolean":
      return typeof value === "boolean" ? null : refuse("a boolean");
    case "string":
    case "id":
      // An id is a string on the CLI; docs write placeholders ("…").
      return typeof value === "string" ? null : refuse(validator.type);
    case "literal":
      return value === validator.value
        ? null
        : refuse(JSON.stringify(validator.value));
    case "array": {
      if (!Array.isArray(value)) return refuse("an array");
      for (const [i, item] of value.entries()) {
        const r = checkValue(
          item,
          validator.value as ValidatorJson,
          `${path}[${i}]`,
        );
        if (r !== null) return r;
      }
      return null;
    }
    case "union": {
      const options = validator.value as ValidatorJson[];
      return options.some((o) => checkValue(value, o, path) === null)
        ? null
        : refuse("any of its union");
    }
    case "record": {
      if (typeof value !== "object" || value === null) {
        return refuse("an object");
      }
      for (const [k, item] of Object.entries(value)) {
        const r = checkValue(item, validator.values!.fieldType, `${path}.${k}`);
        if (r !== null) return r;
      }
      return null;
    }
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return refuse("an object");
      }
      const fields = validator.value as Record<string, Field>;
      for (const key of Object.keys(value)) {
        if (!(key in fields)) return `${path} has no field ${key}`;
      }
      for (const [key, field] of Object.entries(fields)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) {
          if (!field.optional) return `${path}.${key} is required`;
          continue;
        }
        const r = checkValue(item, field.fieldType, `${path}.${key}`);
        if (r !== null) return r;
      }
      return null;
    }
    default:
      return `${path}: unknown validator ${validator.type}`;
  }
}
