// The status page's assets, imported as text (`with { type: "text" }`): Bun and Deno read the
// file as a string, and `bun build --compile` embeds it in the binary.
declare module "uplot/dist/uPlot.min.css" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
