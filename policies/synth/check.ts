/**
 * What the synth refuses before starting the program, from light modules only (no Pulumi runtime), so a
 * refused stack is reported in a moment: the Pulumi CLI's stack-config validation and defaults, then (for this
 * project) the program's own configuration rules on the values the CLI would hand it. The program applies the
 * same rules when it runs; checking first only fails sooner, never passes more.
 */
import { ConfigError, parsePlatformConfig, PROJECT } from "../../components/config";
import { checkNamespaces } from "../../components/config-namespaces";
import { loadProject, PulumiProject } from "../../components/testing/project";
import { loadStackConfig, ProgramConfig } from "../../components/testing/stack-config";

/**
 * @throws StackFileError (not YAML: file, line, column), StackConfigError (the CLI's messages), ConfigError
 * (every problem the program would report).
 */
export function checkStack(
  projectDir: string,
  stack: string,
  stackDir?: string,
): { project: PulumiProject; config: ProgramConfig & { stackFile: string } } {
  const project = loadProject(projectDir);
  const config = loadStackConfig(project, stack, stackDir);
  if (project.name === PROJECT) {
    const raw = { ...config, stack, secretKeys: new Set(config.secretKeys) };
    const namespaces = checkNamespaces(raw);
    if (namespaces.problems.length > 0) throw new ConfigError(namespaces.problems, config.stackFile);
    parsePlatformConfig(raw);
  }
  return { project, config };
}
