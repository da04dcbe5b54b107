// A stub until the kind registry generates this file (schemas/): every element
// is a map with an id and a kind; the generated file narrows it per kind.
export type Element = { id: string; kind: string; [field: string]: unknown };
