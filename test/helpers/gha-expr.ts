// GitHub Actions expressions (`${{ ... }}` and `if:`), the subset generated workflows use: context
// lookups (needs.build.outputs.run-id, steps.run.outputs.run-dir, env.X, github.run_id, inputs.x),
// string/number/boolean/null literals, ! && || == != < > <= >=, parentheses, and the functions
// success() failure() always() cancelled() contains() startsWith() endsWith() format().
// Semantics follow GitHub's documentation: a missing property is null; == between different types
// compares them as numbers (null and '' are 0); strings compare case-insensitively; && and || return
// an operand, not a boolean; an `if:` without a status function means `success() && (...)`.

export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };
export interface ExprContext {
  readonly contexts: Readonly<Record<string, Value>>;
  readonly status: { success: boolean; failure: boolean; cancelled: boolean };
}

type Tok = { t: "str"; v: string } | { t: "num"; v: number } | { t: "id"; v: string } | { t: "op"; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let s = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in expression: ${src}`);
        if (src[i] === "'" && src[i + 1] === "'") {
          s += "'";
          i += 2;
          continue;
        }
        if (src[i] === "'") {
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: "str", v: s });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (["==", "!=", "&&", "||", "<=", ">="].includes(two)) {
      out.push({ t: "op", v: two });
      i += 2;
      continue;
    }
    if ("!()<>,.[]".includes(c)) {
      out.push({ t: "op", v: c });
      i++;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "num", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: "id", v: id[0] });
      i += id[0].length;
      continue;
    }
    throw new Error(`unexpected "${c}" in expression: ${src}`);
  }
  return out;
}

const toNum = (v: Value): number => {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") return v.trim() === "" ? 0 : Number(v);
  return NaN;
};
export const truthy = (v: Value): boolean => !(v === null || v === false || v === 0 || v === "" || (typeof v === "number" && Number.isNaN(v)));
export const toStr = (v: Value): string => (v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

function looseEq(a: Value, b: Value): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && (typeof a !== "object" || a === null)) return a === b;
  if ((typeof a === "object" && a !== null) || (typeof b === "object" && b !== null)) return a === b;
  return toNum(a) === toNum(b);
}

export function evaluate(src: string, ctx: ExprContext): Value {
  const toks = tokenize(src);
  let p = 0;
  const peek = (v?: string) => (p < toks.length && toks[p]!.t === "op" && (v === undefined || toks[p]!.v === v) ? toks[p] : undefined);
  const expect = (v: string) => {
    if (!peek(v)) throw new Error(`expected "${v}" in expression: ${src}`);
    p++;
  };
  const or = (): Value => {
    let l = and();
    while (peek("||")) {
      p++;
      const r = and();
      l = truthy(l) ? l : r;
    }
    return l;
  };
  const and = (): Value => {
    let l = cmp();
    while (peek("&&")) {
      p++;
      const r = cmp();
      l = truthy(l) ? r : l;
    }
    return l;
  };
  const cmp = (): Value => {
    const l = unary();
    const op = peek();
    if (op && ["==", "!=", "<", ">", "<=", ">="].includes(op.v as string)) {
      p++;
      const r = unary();
      switch (op.v) {
        case "==":
          return looseEq(l, r);
        case "!=":
          return !looseEq(l, r);
        case "<":
          return toNum(l) < toNum(r);
        case ">":
          return toNum(l) > toNum(r);
        case "<=":
          return toNum(l) <= toNum(r);
        default:
          return toNum(l) >= toNum(r);
      }
    }
    return l;
  };
  const unary = (): Value => {
    if (peek("!")) {
      p++;
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): Value => {
    const t = toks[p++];
    if (!t) throw new Error(`unexpected end of expression: ${src}`);
    if (t.t === "str" || t.t === "num") return t.v;
    if (t.t === "op" && t.v === "(") {
      const v = or();
      expect(")");
      return v;
    }
    if (t.t !== "id") throw new Error(`unexpected "${t.v}" in expression: ${src}`);
    if (t.v === "true") return true;
    if (t.v === "false") return false;
    if (t.v === "null") return null;
    if (peek("(")) {
      p++;
      const args: Value[] = [];
      while (!peek(")")) {
        args.push(or());
        if (peek(",")) p++;
      }
      expect(")");
      return call(t.v, args);
    }
    let v: Value = ctx.contexts[t.v] ?? null;
    for (;;) {
      if (peek(".")) {
        p++;
        const k = toks[p++];
        if (!k || k.t !== "id") throw new Error(`expected a property name in expression: ${src}`);
        v = prop(v, k.v);
      } else if (peek("[")) {
        p++;
        const k = or();
        expect("]");
        v = prop(v, toStr(k));
      } else return v;
    }
  };
  const prop = (v: Value, k: string): Value => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
    const key = Object.keys(v).find((x) => x.toLowerCase() === k.toLowerCase());
    return key === undefined ? null : v[key]!;
  };
  const call = (name: string, a: Value[]): Value => {
    switch (name.toLowerCase()) {
      case "success":
        return ctx.status.success && !ctx.status.cancelled;
      case "failure":
        return ctx.status.failure;
      case "always":
        return true;
      case "cancelled":
        return ctx.status.cancelled;
      case "contains":
        return Array.isArray(a[0])
          ? a[0].some((x) => looseEq(x, a[1] ?? null))
          : toStr(a[0] ?? null)
              .toLowerCase()
              .includes(toStr(a[1] ?? null).toLowerCase());
      case "startswith":
        return toStr(a[0] ?? null)
          .toLowerCase()
          .startsWith(toStr(a[1] ?? null).toLowerCase());
      case "endswith":
        return toStr(a[0] ?? null)
          .toLowerCase()
          .endsWith(toStr(a[1] ?? null).toLowerCase());
      case "format":
        return toStr(a[0] ?? null).replace(/\{(\d+)\}/g, (_, i: string) => toStr(a[Number(i) + 1] ?? null));
      default:
        throw new Error(`function ${name}() is not emulated`);
    }
  };
  const v = or();
  if (p !== toks.length) throw new Error(`trailing tokens in expression: ${src}`);
  return v;
}

/** An `if:` condition (with or without `${{ }}`); no status function means success() && (...). */
export function condition(src: string | boolean | undefined, ctx: ExprContext): boolean {
  if (src === undefined) return ctx.status.success && !ctx.status.cancelled;
  if (typeof src === "boolean") return src;
  let e = src.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(e);
  if (wrapped) e = wrapped[1]!.trim();
  if (!/\b(success|failure|cancelled|always)\s*\(/.test(e)) e = `success() && (${e})`;
  return truthy(evaluate(e, ctx));
}

/** Replace every `${{ expr }}` in a string. */
export function interpolate(text: string, ctx: ExprContext): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => toStr(evaluate(e, ctx)));
}
