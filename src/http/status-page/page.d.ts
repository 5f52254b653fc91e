// page.js is the browser's script, which the service imports as text (`with { type: "text" }`).
declare const text: string;
export default text;
