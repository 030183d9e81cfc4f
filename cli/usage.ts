/**
 * Usage of the `admin` command, kept apart from commands/admin.ts so that `foreact --help` can print it
 * without loading that module (and with it the Azure SDKs).
 */
export const ADMIN_USAGE = 'admin assign (--user-id <id> | --user <email>) [--provider aad] --regions north,south | admin store-region --stores 1,2 --region north | admin list | admin delete-history --store <id> --from <YYYY-MM-DD> --to <YYYY-MM-DD>';
