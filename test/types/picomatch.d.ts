// picomatch ships no types; the glob tests use it as a reference model only.
declare module 'picomatch' {
  interface Options {
    dot?: boolean;
    basename?: boolean;
  }
  const picomatch: {
    (pattern: string, options?: Options): (input: string) => boolean;
    isMatch(input: string, pattern: string, options?: Options): boolean;
  };
  export default picomatch;
}
