"""What each kind of import reads: its fields, how file columns are matched to them,
and the matching remembered per file layout.

A column is matched to a field by the header's folded text (no accent, no case): first
what the user chose for that header the last time (:func:`remembered`), then the field's
label and its usual synonyms in other software's exports.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from app.errors import ValidationError
from app.imports.values import fold


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    fields: tuple[Field, ...]
    template: str

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)


F = Field
_ADDRESS = (
    F("street", "Adresse", aliases=("adresse 1", "rue", "adresse ligne 1", "voie")),
    F("street2", "Complément d'adresse", aliases=("adresse 2", "complement", "adresse ligne 2")),
    F("postcode", "Code postal", aliases=("cp", "code post")),
    F("city", "Ville", aliases=("commune", "localite")),
    F("country", "Pays", aliases=("code pays",), hint="FR par défaut"),
)

KINDS: dict[str, Kind] = {
    "clients": Kind(
        "clients",
        "Clients (syndics et copropriétés compris)",
        (
            F(
                "code",
                "Code client",
                aliases=(
                    "code",
                    "n client",
                    "numero client",
                    "ref client",
                    "reference client",
                    "compte",
                ),
            ),
            F(
                "kind",
                "Type",
                aliases=("type de client", "categorie", "nature"),
                hint="Entreprise, Organisme public, Particulier, Syndic, Copropriété",
            ),
            F(
                "name",
                "Nom / raison sociale",
                True,
                ("nom", "raison sociale", "societe", "client", "nom client", "denomination"),
            ),
            F("legal_form", "Forme juridique", aliases=("forme",)),
            F(
                "manager_code",
                "Code syndic",
                aliases=("syndic", "gestionnaire", "regie"),
                hint="copropriété : code client de son syndic",
            ),
            F("siret", "SIRET", aliases=("n siret", "numero siret")),
            F("siren", "SIREN", aliases=("n siren",)),
            F(
                "vat_number",
                "N° TVA intracommunautaire",
                aliases=("n tva", "tva intracom", "numero tva", "tva intracommunautaire"),
            ),
            *_ADDRESS,
            F("phone", "Téléphone", aliases=("tel", "telephone fixe", "standard")),
            F("email", "E-mail", aliases=("email", "mail", "courriel", "adresse e mail")),
            F(
                "invoice_email",
                "E-mail de facturation",
                aliases=("email facturation", "mail facturation", "e mail factures"),
            ),
            F(
                "sending_mode",
                "Mode d'envoi",
                aliases=("envoi", "envoi des factures"),
                hint="Courrier, E-mail, Plateforme",
            ),
            F(
                "payment_terms",
                "Conditions de règlement",
                aliases=("conditions de paiement", "delai de paiement", "echeance", "delai"),
                hint="30 jours net, 45 jours fin de mois, À réception…",
            ),
            F(
                "payment_means",
                "Mode de règlement",
                aliases=("mode de paiement", "reglement"),
                hint="Virement, Chèque, Prélèvement SEPA…",
            ),
            F("iban", "IBAN"),
            F("bic", "BIC"),
            F("mandate_reference", "RUM", aliases=("reference du mandat", "mandat")),
            F(
                "mandate_date",
                "Date de signature du mandat",
                aliases=("date du mandat", "date signature mandat"),
                hint="prélèvement : crée le mandat SEPA (avec RUM et IBAN)",
            ),
            F(
                "mandate_last",
                "Dernier prélèvement",
                aliases=("date du dernier prelevement", "dernier prelevement sepa"),
                hint="mandat déjà utilisé : le prochain prélèvement est récurrent (RCUR)",
            ),
            F("mandate_scheme", "Schéma SEPA", aliases=("schema",), hint="CORE ou B2B"),
            F("account_code", "Compte client", aliases=("compte auxiliaire", "compte 411")),
            F("notes", "Notes", aliases=("observations", "commentaire", "remarques")),
        ),
        "clients.csv",
    ),
    "sites": Kind(
        "sites",
        "Chantiers",
        (
            F("code", "Code chantier", aliases=("code", "code site", "n chantier")),
            F("name", "Nom du chantier", True, ("nom", "chantier", "site", "designation")),
            F("client_code", "Code client", True, ("client", "code du client")),
            F("payer_code", "Code payeur", aliases=("payeur", "code client payeur")),
            *_ADDRESS,
            F("access_codes", "Codes d'accès", aliases=("digicode", "acces", "code acces")),
            F("keys", "Clés", aliases=("cles", "badges")),
            F("opening_hours", "Horaires d'intervention", aliases=("horaires", "horaire")),
            F(
                "surfaces",
                "Surfaces (m²)",
                aliases=("surface", "surfaces", "m2", "m²"),
                hint="« Bureaux : 450 ; Sanitaires : 30 » ou un nombre",
            ),
            F("floor_types", "Types de sols", aliases=("sols", "revetements")),
            F("onsite_contact", "Contact sur place", aliases=("gardien", "contact site")),
            F("onsite_phone", "Téléphone sur place", aliases=("tel sur place", "tel site")),
        ),
        "chantiers.csv",
    ),
    "contacts": Kind(
        "contacts",
        "Contacts des clients",
        (
            F("client_code", "Code client", True, ("client", "code du client")),
            F("name", "Nom du contact", True, ("nom", "contact", "nom prenom", "interlocuteur")),
            F("role", "Fonction", aliases=("poste", "titre", "qualite")),
            F("service", "Service", aliases=("departement",)),
            F("phone", "Téléphone", aliases=("tel", "telephone fixe", "ligne directe")),
            F("mobile", "Portable", aliases=("mobile", "gsm", "tel portable")),
            F("email", "E-mail", aliases=("email", "mail", "courriel")),
            F(
                "is_invoice_contact",
                "Contact facturation",
                aliases=("facturation", "destinataire des factures"),
                hint="oui / non",
            ),
            F("notes", "Notes", aliases=("observations", "commentaire")),
        ),
        "contacts.csv",
    ),
    "articles": Kind(
        "articles",
        "Articles et familles",
        (
            F("code", "Code article", True, ("code", "reference", "ref", "ref article")),
            F("label", "Libellé", True, ("designation", "libelle article", "intitule")),
            F("description", "Description", aliases=("texte", "descriptif")),
            F(
                "unit",
                "Unité",
                aliases=("unite de vente", "u"),
                hint="heure, m², passage, forfait, unité, mois, jour",
            ),
            F("unit_price", "Prix unitaire HT", aliases=("prix", "pu ht", "prix ht", "tarif")),
            F("vat", "TVA (%)", aliases=("tva", "taux tva", "taux de tva", "code tva")),
            F("family_code", "Code famille", aliases=("famille", "code de la famille")),
            F("family_label", "Libellé famille", aliases=("nom famille", "famille libelle")),
            F(
                "revenue_account",
                "Compte de produit",
                aliases=("compte", "compte de vente", "compte comptable", "compte 706"),
            ),
            F(
                "is_product",
                "Fourniture (produit)",
                aliases=("produit", "marchandise"),
                hint="oui pour une vente de produit ; vide = prestation",
            ),
            F("sap_service", "Service à la personne", aliases=("sap",), hint="oui / non"),
        ),
        "articles.csv",
    ),
    "contracts": Kind(
        "contracts",
        "Contrats et leurs lignes (une ligne du fichier par ligne de contrat)",
        (
            F(
                "reference",
                "N° de contrat d'origine",
                True,
                ("n contrat", "numero contrat", "contrat", "reference", "ref contrat"),
            ),
            F("client_code", "Code client", True, ("client", "code client payeur")),
            F("site_code", "Code chantier", aliases=("chantier", "site")),
            F("title", "Intitulé", aliases=("objet", "libelle contrat", "titre")),
            F("start_date", "Date de début", True, ("debut", "date debut", "date d effet")),
            F("end_date", "Date de fin", aliases=("fin", "date fin", "echeance contrat")),
            F(
                "tacit_renewal",
                "Reconduction tacite",
                aliases=("reconduction", "tacite"),
                hint="oui par défaut",
            ),
            F("notice_months", "Préavis (mois)", aliases=("preavis",), hint="3 par défaut"),
            F(
                "billed_until",
                "Facturé jusqu'au",
                aliases=("facture jusqu au", "derniere periode facturee", "deja facture jusqu au"),
                hint="dernier jour déjà facturé par l'ancien logiciel",
            ),
            F("purchase_order", "N° de bon de commande", aliases=("bon de commande", "bc")),
            F(
                "state",
                "État",
                aliases=("etat", "statut", "etat du contrat", "statut contrat"),
                hint="Actif (par défaut), Suspendu, Résilié",
            ),
            F(
                "notice_date",
                "Date de résiliation",
                aliases=("resiliation", "date resiliation", "date du preavis", "preavis recu le"),
                hint="résilié : jour où le préavis a été donné",
            ),
            F("suspended_from", "Suspendu du", aliases=("suspension du", "debut suspension")),
            F(
                "suspended_until",
                "Suspendu jusqu'au",
                aliases=("suspension jusqu au", "fin suspension", "suspendu au"),
            ),
            F("article_code", "Code article", aliases=("article", "prestation")),
            F(
                "description",
                "Désignation",
                aliases=("libelle", "libelle ligne", "designation ligne"),
            ),
            F("quantity", "Quantité", aliases=("qte", "quantite")),
            F("unit_price", "Prix unitaire HT", aliases=("prix", "pu ht", "montant ht", "prix ht")),
            F(
                "frequency",
                "Périodicité",
                aliases=("frequence", "periodicite de facturation"),
                hint="Mensuelle, Trimestrielle, Annuelle…",
            ),
            F(
                "term",
                "Terme",
                aliases=("echu echoir", "terme de facturation"),
                hint="À échoir, Terme échu",
            ),
            F("months", "Mois facturés", aliases=("mois",), hint="saisonnière : 3,6,9,12"),
            F("line_site_code", "Chantier de la ligne", aliases=("code chantier ligne",)),
        ),
        "contrats.csv",
    ),
    "open-items": Kind(
        "open-items",
        "Factures non réglées à la date de reprise",
        (
            F("client_code", "Code client", True, ("client", "compte client")),
            F(
                "number",
                "N° de facture",
                True,
                ("n facture", "numero facture", "facture", "numero", "piece", "n piece"),
            ),
            F("issue_date", "Date de facture", True, ("date", "date facture", "date piece")),
            F("due_date", "Date d'échéance", aliases=("echeance", "date echeance")),
            F("total_ttc", "Montant TTC", True, ("ttc", "total ttc", "montant")),
            F(
                "remaining",
                "Reste dû",
                aliases=("reste a payer", "solde", "restant du", "reste du ttc"),
                hint="vide = montant TTC",
            ),
            F("total_ht", "Montant HT", aliases=("ht", "total ht")),
            F("title", "Objet", aliases=("libelle", "designation")),
        ),
        "factures-non-reglees.csv",
    ),
}


def get_kind(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise ValidationError(
            "Type d'import",
            "Type d'import inconnu « {value} » ({allowed}).",
            value=code,
            allowed=", ".join(KINDS),
        ) from None


Mapping = dict[str, int]  # field key → column index


def guess_mapping(kind: Kind, headers: tuple[str, ...], remembered: dict[str, str]) -> Mapping:
    """Each field's column: the remembered choice for a header, else its label or synonym."""
    mapping: Mapping = {}
    folded = [fold(h) for h in headers]
    for index, header in enumerate(folded):
        key = remembered.get(header)
        if key and key in {f.key for f in kind.fields} and key not in mapping:
            mapping[key] = index
    taken = set(mapping.values())
    for f in kind.fields:
        if f.key in mapping:
            continue
        names = {fold(f.label), fold(f.key), *(fold(a) for a in f.aliases)}
        for index, header in enumerate(folded):
            if index not in taken and header in names:
                mapping[f.key] = index
                taken.add(index)
                break
    return mapping


def missing_required(kind: Kind, mapping: Mapping) -> list[str]:
    return [f.label for f in kind.fields if f.required and f.key not in mapping]


# --- remembered choices: <files>/imports/colonnes.json ---------------------------------------

MEMORY = Path("imports") / "colonnes.json"


def remembered(files_dir: Path, kind: str) -> dict[str, str]:
    """Folded header → field key, as chosen at the last import of this kind."""
    try:
        data = json.loads((files_dir / MEMORY).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    chosen = data.get(kind) if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in chosen.items()} if isinstance(chosen, dict) else {}


def remember(files_dir: Path, kind: str, headers: tuple[str, ...], mapping: Mapping) -> None:
    """Keep the choice of this import for the next file with the same headers (best
    effort: a folder that cannot be written only loses the memory, never the import)."""
    path = files_dir / MEMORY
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    chosen = dict(data.get(kind) or {})
    chosen.update({fold(headers[i]): key for key, i in mapping.items() if i < len(headers)})
    data[kind] = chosen
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        os.replace(temp, path)
    except OSError:
        pass
