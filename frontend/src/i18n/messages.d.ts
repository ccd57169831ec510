declare module 'virtual:messages/*' {
  const catalog: Record<string, (d?: Record<string, unknown>) => string>;
  export default catalog;
}
