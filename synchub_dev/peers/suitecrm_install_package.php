<?php
// Installs a Module Loader package into the SuiteCRM whose root is the working directory, with SuiteCRM's
// own classes, as Admin > Module Loader does on "Install": manifest check, package scan, ModuleInstaller,
// an UpgradeHistory row. Test-peer tooling for SyncHub (the admin UI is the documented route).
// usage: cd SUITECRM_ROOT && php install_package.php PACKAGE.zip
if (!defined('sugarEntry')) {
    define('sugarEntry', true);
}
$_SERVER['PHP_SELF'] = $_SERVER['SCRIPT_NAME'] = '/install_package.php';
require_once 'include/entryPoint.php';
require_once 'ModuleInstall/ModuleInstaller.php';
require_once 'ModuleInstall/ModuleScanner.php';
require_once 'ModuleInstall/PackageManager/PackageManager.php';
require_once 'modules/Administration/UpgradeHistory.php';

$zip = $argv[1] ?? '';
if (!is_file($zip)) {
    fwrite(STDERR, "install_package: no such package: $zip\n");
    exit(2);
}
global $current_user;
$current_user = BeanFactory::getBean('Users', '1');

$dir = sugar_cached('upgrades/temp/' . pathinfo($zip, PATHINFO_FILENAME));
rmdir_recursive($dir);
mkdir_recursive($dir);
$archive = new ZipArchive();
if ($archive->open($zip) !== true || !$archive->extractTo($dir)) {
    fwrite(STDERR, "install_package: cannot unzip $zip\n");
    exit(1);
}
$archive->close();

$manifest = [];
$installdefs = [];
include $dir . '/manifest.php';
ob_start();
(new PackageManager())->validate_manifest($manifest);   // exits on a refused manifest
ob_end_clean();

$scanner = new ModuleScanner();
$scanner->scanPackage($dir);
if ($scanner->hasIssues()) {
    fwrite(STDERR, "install_package: the package scanner refused it:\n" . print_r($scanner->getIssues(), true));
    exit(1);
}

$installer = new ModuleInstaller();
$installer->silent = true;
ob_start();
$installer->install($dir);
ob_end_clean();

$history = new UpgradeHistory();
$history->filename = basename($zip);
$history->md5sum = md5_file($zip);
$history->type = $manifest['type'];
$history->status = 'installed';
$history->version = $manifest['version'];
$history->name = $manifest['name'];
$history->description = $manifest['description'];
$history->id_name = $installdefs['id'];
$history->manifest = base64_encode(serialize(['manifest' => $manifest, 'installdefs' => $installdefs]));
$history->enabled = 1;
$history->save();
echo "installed {$installdefs['id']} {$manifest['version']}\n";
