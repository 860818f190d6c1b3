/**
 * Whether the Terraform tests can run here. Without terraform they fail under CI=true (CI must plan) and are
 * skipped, with the reason printed, elsewhere.
 */
import { findTerraform, ToolchainUnavailable } from '../../tools/terraform/toolchain';

export function terraformDescribe(): jest.Describe {
  try {
    findTerraform();
    return describe;
  } catch (error) {
    if (!(error instanceof ToolchainUnavailable)) throw error;
    if (process.env.CI === 'true' || process.env.CI === '1') {
      throw new Error(`CI must run the offline Terraform plan, but: ${error.message}`, { cause: error });
    }
    console.warn(`skipping the offline Terraform plan: ${error.message}`);
    return describe.skip;
  }
}
