/**
 * Every source a Content-Security-Policy allows besides the keywords 'self' and 'none' and `data:`:
 * empty for a page that may load nothing from another origin (the docs page, the console).
 */
export const externalSourcesOf = (csp: string) =>
  csp
    .split(';')
    .flatMap((directive) => directive.trim().split(/\s+/).slice(1))
    .filter((source) => !/^'(self|none)'$/.test(source) && source !== 'data:');
