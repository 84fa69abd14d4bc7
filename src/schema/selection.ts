import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/** The fields selected under `nodes`, through fragments and inline fragments. */
export function subfields(info: GraphQLResolveInfo, nodes: readonly FieldNode[]): FieldNode[] {
  const visit = (selectionSet: SelectionSetNode | undefined): FieldNode[] =>
    (selectionSet?.selections ?? []).flatMap((selection) => {
      if (selection.kind === Kind.FIELD) return [selection];
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    });
  return nodes.flatMap((node) => visit(node.selectionSet));
}

/**
 * Whether the current field's selection reaches the field at `path` (field names, not
 * aliases; through fragments): ['edges', 'node', 'latestSnapshot'] under a connection.
 */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  let nodes: readonly FieldNode[] = info.fieldNodes;
  for (const name of path) {
    nodes = subfields(info, nodes).filter((field) => field.name.value === name);
    if (nodes.length === 0) return false;
  }
  return true;
}

/** Whether the current field's selection asks for `name` directly (through fragments too). */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return selectsPath(info, [name]);
}
