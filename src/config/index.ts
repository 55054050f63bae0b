export {
  OPTIONS,
  type Config,
  type Option,
  type OptionKind,
  type OptionSpec,
  type OptionValue,
} from './options.js';
export {
  BOOLEAN_OPTION_FLAGS,
  ConfigError,
  flagOf,
  loadConfig,
  loadProcessConfig,
  parseValue,
} from './load.js';
export { CONFIG_TABLE_MARKERS, configTableMarkdown, describeOptions, withConfigTable } from './describe.js';
