/**
 * One shape per statement, whatever its values: literals become ?, lists of
 * parameters collapse, whitespace is single. Two statements with the same
 * normalized text are the same query run with other values.
 */
export function normalizeSql(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?, …)')
    .replace(/\s+/g, ' ')
    .trim();
}
