/**
 * The condition language for static importers (`theus/workflow`): the parser and evaluator
 * of `expressionRuntime.ts` with its kit installed (see `kit.ts`).
 */

import type {
  Expression,
  ExpressionLocation,
  ExpressionNode,
  ExpressionScope,
} from './expressionRuntime.js'
import * as expression from './expressionRuntime.js'
import { FLUX_KIT } from './fluxKit.js'
import { installKit } from './kit.js'

export type {
  BinaryOperator,
  Expression,
  ExpressionLocation,
  ExpressionNode,
  ExpressionRoot,
  ExpressionScope,
} from './expressionRuntime.js'

/** Parses a condition; every problem is a `WorkflowError` positioned inside the condition. */
export function parseExpression(source: string, where: ExpressionLocation = {}): Expression {
  installKit(FLUX_KIT)
  return expression.parseExpression(source, where)
}

/** Evaluates a parsed condition against a scope; never calls user code. */
export function evaluateExpression(
  expr: Expression | ExpressionNode,
  scope: ExpressionScope = {},
): unknown {
  installKit(FLUX_KIT)
  return expression.evaluateExpression(expr, scope)
}

/** Evaluates a parsed condition and applies JavaScript truthiness. */
export function testCondition(
  expr: Expression | ExpressionNode,
  scope: ExpressionScope = {},
): boolean {
  installKit(FLUX_KIT)
  return expression.testCondition(expr, scope)
}

/** Reads an own data property (or a Map entry) without calling user code. */
export function readOwn(container: unknown, key: string): unknown {
  installKit(FLUX_KIT)
  return expression.readOwn(container, key)
}
