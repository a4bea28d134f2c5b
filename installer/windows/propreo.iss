; Propreo — Windows installer (Inno Setup 6). Saved as UTF-8 with BOM (accented texts).
; Build the bundle first (dist\propreo, see BUILD.md), then from the checkout root:
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installer\windows\propreo.iss
; The installer lands in installer\windows\Output\propreo-setup-<version>.exe.
;
; User data is never under {app}: databases live in %LOCALAPPDATA%\Propreo\Propreo (or wherever
; the user created them, e.g. a shared folder) and settings in HKCU\Software\Propreo. The
; uninstaller removes the program files only, so uninstalling or upgrading keeps every database.
;
; No file association: Propreo databases are SQLite files with the generic ".db" extension,
; which other programs use too; they are opened from Fichier → Ouvrir / Bases récentes.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Propreo"
#define AppPublisher "Propreo"
#define BundleDir "..\..\dist\propreo"

[Setup]
; Keep this AppId for every release: it is how upgrades find the previous installation.
AppId={{6F1C2B8E-3D4A-4E57-9B1E-7A2C5D9E0F41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Office staff rarely have admin rights: install for the current user unless they choose otherwise.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=Output
OutputBaseFilename=propreo-setup-{#AppVersion}
SetupIconFile=..\..\resources\icons\propreo.ico
UninstallDisplayIcon={app}\propreo-gui.exe
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running Propreo before replacing its files.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "french"; MessagesFile: "compiler:Languages\French.isl"

[Tasks]
Name: "desktopicon"; Description: "Créer un raccourci sur le Bureau"; GroupDescription: "Raccourcis :"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole bundle: stale modules of the previous version must not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\propreo-gui.exe"; WorkingDir: "{userdocs}"; Comment: "Gestion des entreprises de propreté"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\propreo-gui.exe"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Run]
Filename: "{app}\propreo-gui.exe"; Description: "Lancer Propreo"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the program itself may leave in its folder; never the user's databases.
Type: filesandordirs; Name: "{app}\_internal"

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox('Propreo est désinstallé. Vos bases de données et sauvegardes sont conservées '
      + '(dossier ' + ExpandConstant('{localappdata}') + '\Propreo\Propreo, ou le dossier '
      + 'partagé où vous les avez créées).', mbInformation, MB_OK);
end;
