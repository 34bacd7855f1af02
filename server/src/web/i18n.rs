//! The interface in Kyrgyz, Russian and English: every message in all three (the compiler checks
//! none is missing), plural forms by each language's rules, chosen from a cookie or Accept-Language.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ky,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ky, Lang::Ru, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ky => "ky",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Ky => "Кыргызча",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "ky" | "ky-kg" | "kir" => Some(Lang::Ky),
            "ru" | "ru-ru" | "ru-kg" | "rus" => Some(Lang::Ru),
            "en" | "en-us" | "en-gb" | "eng" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best of our languages for an Accept-Language header (q-values honoured).
    pub fn negotiate(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, part) in header.split(',').take(32).enumerate() {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::from_code(primary) else {
                continue;
            };
            // Higher q wins; for equal q the earlier tag wins.
            if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l)
    }

    fn idx(self) -> usize {
        self as usize
    }
}

macro_rules! messages {
    ($($name:ident => [$ky:expr, $ru:expr, $en:expr],)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum M { $($name,)* }
        impl M {
            fn texts(self) -> [&'static str; 3] {
                match self { $(M::$name => [$ky, $ru, $en],)* }
            }
        }
    };
}

messages! {
    SiteName => ["Китепкана", "Китепкана", "Kitepkana"],
    Tagline => ["Мектептер үчүн санариптик китепкана", "Цифровая библиотека для школ", "A digital library for schools"],
    SkipToContent => ["Негизги мазмунга өтүү", "Перейти к содержанию", "Skip to content"],
    SearchLabel => ["Китепканадан издөө", "Поиск по библиотеке", "Search the library"],
    SearchButton => ["Издөө", "Найти", "Search"],
    SearchHint => ["ө, ү, ң тамгаларын о, у, н же латын тамгалары менен жазсаңыз да болот.", "Буквы ө, ү, ң можно набирать как о, у, н или латиницей.", "You may type ө, ү, ң as о, у, н, or in Latin letters."],
    MainNav => ["Негизги меню", "Главное меню", "Main menu"],
    NavHome => ["Башкы бет", "Главная", "Home"],
    NavBooks => ["Бардык китептер", "Все книги", "All books"],
    NavCollections => ["Жыйнактар", "Подборки", "Collections"],
    NavAbout => ["Долбоор жөнүндө", "О проекте", "About"],
    InterfaceLanguage => ["Интерфейстин тили", "Язык интерфейса", "Interface language"],
    FooterPrivacy => ["Каттоосуз жана байкоосуз: cookie файлында тандалган тил гана сакталат.", "Без регистрации и слежки: в cookie хранится только выбранный язык.", "No accounts and no tracking: a cookie keeps only your language choice."],
    FooterOpds => ["Электрондук китеп окуучулар үчүн каталог (OPDS)", "Каталог для читалок (OPDS)", "Catalog for e-reader apps (OPDS)"],
    FooterApi => ["Программалар үчүн API", "API для программ", "API for software"],
    HomeIntro => ["Окуу китептери, окуу куралдары жана мугалимдер үчүн колдонмолор — кыргыз, орус жана аймактын башка тилдеринде. Онлайн окуңуз же EPUB жүктөп алыңыз.", "Учебники, пособия и методические материалы — на кыргызском, русском и других языках региона. Читайте онлайн или скачивайте EPUB.", "Textbooks, readers and guides for teachers in Kyrgyz, Russian and the region's other languages. Read online or download EPUB."],
    RecentlyAdded => ["Жаңы кошулгандар", "Недавно добавленные", "Recently added"],
    BrowseByGrade => ["Класс боюнча", "По классам", "By grade"],
    BrowseBySubject => ["Сабак боюнча", "По предметам", "By subject"],
    BrowseByLanguage => ["Тил боюнча", "По языкам", "By language"],
    Grade => ["{n}-класс", "{n} класс", "Grade {n}"],
    Grades => ["Класстар", "Классы", "Grades"],
    SearchTitle => ["Издөө", "Поиск", "Search"],
    ResultsFor => ["«{q}» боюнча табылгандар", "Результаты по запросу «{q}»", "Results for “{q}”"],
    NothingFound => ["«{q}» боюнча эч нерсе табылган жок", "По запросу «{q}» ничего не найдено", "Nothing found for “{q}”"],
    NothingFoundHelp1 => ["Сөздүн жазылышын текшериңиз же азыраак сөз колдонуңуз.", "Проверьте написание или используйте меньше слов.", "Check the spelling, or use fewer words."],
    NothingFoundHelp2 => ["Сөздү башка тилде издеп көрүңүз: китептер бир нече тилде бар.", "Попробуйте искать на другом языке: книги есть на нескольких языках.", "Try another language: books come in several languages."],
    NothingFoundHelp3 => ["Чектөөлөрдү алып салыңыз же бардык китептерди караңыз.", "Уберите фильтры или посмотрите все книги.", "Remove the filters, or browse all books."],
    EmptyQuery => ["Издөө үчүн сөз жазыңыз: мисалы, «бөлчөк» же «суу».", "Введите слово для поиска: например, «дробь» или «вода».", "Type a word to search for: for example “fraction” or “water”."],
    PhrasesLoosened => ["Тырмакчадагы сөздөр бул тартипте эч бир үзүндүдө жок; төмөндө ошол сөздөр бар үзүндүлөр.", "Слов в кавычках в таком порядке нет ни в одном отрывке; ниже отрывки, где эти слова есть.", "No passage has the quoted words in this order; below are passages that have the words."],
    DidYouMean => ["Балким, сиз муну издедиңиз:", "Возможно, вы имели в виду:", "Did you mean:"],
    ShowingInstead => ["Жазылганындай эч нерсе табылган жок, ошондуктан ушул издөөнүн жыйынтыктары көрсөтүлдү:", "По запросу в написанном виде ничего не нашлось, поэтому показаны результаты для:", "Nothing matched as typed, so these are the results for:"],
    TryAlso => ["Ушуларды издеп көрүңүз:", "Попробуйте:", "Try:"],
    SortBy => ["Иреттөө", "Порядок", "Order"],
    SortRelevance => ["ылайыктуулугу боюнча", "по соответствию", "by relevance"],
    SortTitle => ["аталышы боюнча", "по названию", "by title"],
    SortDate => ["жаңылары алдыда", "сначала новые", "newest first"],
    OtherEditionOf => ["Бул чыгарманын башка тилдеги басылышы. Издегениңиз «{title}» ({lang}) китебинде табылды; үзүндүлөр эки тилде катар ачылат.", "Другое языковое издание того же произведения. Найдено в книге «{title}» ({lang}); отрывки открываются на двух языках рядом.", "Another language edition of the same work. The match is in «{title}» ({lang}); the passages open in both languages side by side."],
    Refine => ["Тактоо", "Уточнить", "Refine"],
    Language => ["Тили", "Язык", "Language"],
    Subject => ["Сабак", "Предмет", "Subject"],
    Material => ["Түрү", "Тип", "Type"],
    Licence => ["Лицензия", "Лицензия", "Licence"],
    Collection => ["Жыйнак", "Подборка", "Collection"],
    RemoveFilter => ["Чектөөнү алып салуу", "Убрать фильтр", "Remove filter"],
    ActiveFilters => ["Тандалган чектөөлөр", "Выбранные фильтры", "Active filters"],
    Previous => ["Мурунку", "Предыдущая", "Previous"],
    Next => ["Кийинки", "Следующая", "Next"],
    PageOf => ["{n}-бет, бардыгы {m}", "Страница {n} из {m}", "Page {n} of {m}"],
    Pagination => ["Беттер", "Страницы", "Pages"],
    Authors => ["Авторлору", "Авторы", "Authors"],
    Publisher => ["Басып чыгаруучу", "Издатель", "Publisher"],
    Year => ["Жылы", "Год", "Year"],
    Contents => ["Мазмуну", "Содержание", "Contents"],
    OtherEditions => ["Башка тилдерде", "На других языках", "In other languages"],
    SideBySide => ["Катар окуу", "Читать параллельно", "Read side by side"],
    SideBySideWith => ["{lang} тексти менен катар окуу", "Читать параллельно с текстом на языке: {lang}", "Read side by side with {lang}"],
    DownloadEpub => ["EPUB жүктөп алуу", "Скачать EPUB", "Download EPUB"],
    ReadOnline => ["Онлайн окуу", "Читать онлайн", "Read online"],
    HowToCite => ["Кантип шилтеме берүү керек", "Как цитировать", "How to cite"],
    InCollections => ["Жыйнактарда", "В подборках", "In collections"],
    AboutBook => ["Китеп жөнүндө", "О книге", "About this book"],
    SearchInBook => ["Ушул китептен издөө", "Поиск в этой книге", "Search in this book"],
    PreviousChapter => ["Мурунку бөлүм", "Предыдущая глава", "Previous chapter"],
    NextChapter => ["Кийинки бөлүм", "Следующая глава", "Next chapter"],
    ChapterNav => ["Бөлүмдөр боюнча өтүү", "Переход по главам", "Chapter navigation"],
    NoCounterpart => ["Бул басылышта мындай бөлүм жок.", "В этом издании нет такой главы.", "This edition has no such chapter."],
    CloseSideBySide => ["Бир гана текстти окуу", "Читать один текст", "Read one text only"],
    AllCollections => ["Бардык жыйнактар", "Все подборки", "All collections"],
    NoBooks => ["Азырынча китептер жок.", "Пока нет книг.", "No books yet."],
    AboutTitle => ["Китепкана жөнүндө", "О Китепкане", "About Kitepkana"],
    About1 => ["Китепкана — Кыргызстандагы жана Борбордук Азиядагы мектептер үчүн ачык санариптик китепкана. Мугалимдер жана басмалар китептерди Markdown форматында жазышат; Китепкана аларды EPUB 3 жана веб-окурманга айлантат.", "Китепкана — открытая цифровая библиотека для школ Кыргызстана и Центральной Азии. Учителя и издательства пишут книги в Markdown; Китепкана превращает их в EPUB 3 и веб-читалку.", "Kitepkana is an open digital library for schools in Kyrgyzstan and Central Asia. Teachers and publishers write books in Markdown; Kitepkana turns them into EPUB 3 and a web reader."],
    About2 => ["Издөө кыргыз тилинин сөз өзгөрүшүн түшүнөт: «китептерибизден» деп издесеңиз, «китеп» табылат. ө, ү, ң тамгаларын о, у, н же латын тамгалары менен жазсаңыз да болот.", "Поиск понимает кыргызские словоформы: запрос «китептерибизден» найдёт «китеп». Буквы ө, ү, ң можно набирать как о, у, н или латиницей.", "Search understands Kyrgyz word forms: “китептерибизден” finds “китеп”. You may type ө, ү, ң as о, у, н, or in Latin letters."],
    About3 => ["Окуучулар каттоосуз окушат. Биз жеке маалымат чогултпайбыз: окуу тарыхы сакталбайт, журналдарда IP даректер жана издөө сөздөрү жок.", "Ученики читают без регистрации. Мы не собираем личные данные: история чтения не хранится, в журналах нет IP-адресов и поисковых запросов.", "Pupils read without accounts. We collect no personal data: no reading history is kept, and logs hold no IP addresses or search words."],
    About4 => ["Китептерди KOReader, Thorium же Aldiko сыяктуу тиркемелерде OPDS каталогу аркылуу ачса болот: {url}", "Книги можно открыть в приложениях KOReader, Thorium или Aldiko через каталог OPDS: {url}", "E-reader apps such as KOReader, Thorium or Aldiko can browse and download the books through the OPDS catalog: {url}"],
    NotFoundTitle => ["Барак табылган жок", "Страница не найдена", "Page not found"],
    NotFoundBody => ["Мындай барак жок. Башкы бетке кайтыңыз же издөөнү колдонуңуз.", "Такой страницы нет. Вернитесь на главную или воспользуйтесь поиском.", "There is no such page. Go back to the home page, or search."],
    BadRequestTitle => ["Туура эмес сурам", "Неверный запрос", "Bad request"],
    BadAddress => ["Даректе туура эмес белгилер бар.", "В адресе есть недопустимые символы.", "The address has characters that are not allowed."],
    BadPage => ["Беттин номери 1ден {max}ке чейин болушу керек.", "Номер страницы должен быть от 1 до {max}.", "The page number must be from 1 to {max}."],
    ServerErrorTitle => ["Ката кетти", "Произошла ошибка", "Something went wrong"],
    ServerErrorBody => ["Бир аздан кийин кайра аракет кылыңыз.", "Попробуйте ещё раз чуть позже.", "Please try again in a moment."],
    BadPerPage => ["Бетке китептердин саны 1ден {max}ке чейин болушу керек.", "Число книг на странице должно быть от 1 до {max}.", "Books per page must be from 1 to {max}."],
    BadParameter => ["Туура эмес параметр: {name}. Мүмкүн болгондор: {allowed}.", "Неверный параметр: {name}. Допустимы: {allowed}.", "Unknown or invalid parameter: {name}. Allowed: {allowed}."],
    BadGrade => ["Класс 1ден 12ге чейинки сан болушу керек.", "Класс должен быть числом от 1 до 12.", "The grade must be a number from 1 to 12."],
    BadSort => ["Иреттөө: relevance, title же date.", "Сортировка: relevance, title или date.", "Sort must be relevance, title or date."],
    MissingQuery => ["«q» параметри керек.", "Нужен параметр «q».", "The parameter “q” is required."],
    PayloadTooLarge => ["Сурам өтө чоң.", "Запрос слишком большой.", "The request is too large."],
    BrowseCatalog => ["Каталогго кайтуу", "Вернуться в каталог", "Back to the catalogue"],
    SearchRebuilding => ["Издөө индекси кайра курулууда: бир нече мүнөткө чейин айрым китептер табылбай калышы мүмкүн.", "Поисковый индекс перестраивается: несколько минут некоторые книги могут не находиться.", "The search index is being rebuilt: for a few minutes some books may not be found."],
    SearchUnavailable => ["Издөө азыр иштебей турат: индекс текшерилип, кайра курулууда. Бир мүнөттөн кийин кайра аракет кылыңыз; китептерди каталогдон окуса болот.", "Поиск сейчас недоступен: индекс проверяется и перестраивается. Попробуйте через минуту; книги можно читать из каталога.", "Search is unavailable right now: the index is being checked and rebuilt. Try again in a minute; the books can be read from the catalogue."],
    MethodNotAllowed => ["Бул дарек муну кабыл албайт.", "Этот адрес такой запрос не принимает.", "This address does not accept that request."],
    BookCover => ["{title} китебинин мукабасы", "Обложка книги «{title}»", "Cover of {title}"],
    Words => ["{n} сөз", "слов: {n}", "{n} words"],
    Version => ["Жарыяланган", "Опубликовано", "Published"],
    StaffArea => ["Кызматкерлер бөлүмү", "Раздел сотрудников", "Staff area"],
    SignInTitle => ["Кызматкерлердин кирүүсү", "Вход для сотрудников", "Staff sign-in"],
    SignInIntro => ["Бул бөлүм авторлор, рецензенттер, китепканачылар жана администраторлор үчүн. Окуучулар жана мугалимдер китептерди каттоосуз окушат.", "Этот раздел для авторов, рецензентов, библиотекарей и администраторов. Ученики и учителя читают книги без регистрации.", "This area is for authors, reviewers, librarians and administrators. Pupils and teachers read the books without an account."],
    Email => ["Электрондук почта", "Электронная почта", "E-mail"],
    Password => ["Сырсөз", "Пароль", "Password"],
    SignInButton => ["Кирүү", "Войти", "Sign in"],
    SignInWrong => ["Дарек же сырсөз туура эмес.", "Неверный адрес или пароль.", "Wrong address or password."],
    SignInLocked => ["Туура эмес сырсөз өтө көп терилди. {minutes} мүнөттөн кийин кайра аракет кылыңыз.", "Слишком много неверных попыток. Попробуйте снова через {minutes} мин.", "Too many wrong passwords. Try again in {minutes} min."],
    SignInDisabled => ["Бул аккаунт өчүрүлгөн. Администраторго кайрылыңыз.", "Эта учётная запись отключена. Обратитесь к администратору.", "This account is disabled. Ask an administrator."],
    FormExpired => ["Форманын мөөнөтү бүттү же ал башка сайттан жөнөтүлдү. Баракты жаңылап, кайра жөнөтүңүз.", "Срок действия формы истёк, или она отправлена с другого сайта. Обновите страницу и отправьте снова.", "This form has expired or was sent from another site. Reload the page and send it again."],
    SessionExpired => ["Сессиянын мөөнөтү бүттү: кайра кириңиз.", "Сеанс завершён: войдите снова.", "Your session has ended: sign in again."],
    SignedInAs => ["{email} катары кирдиңиз", "Вы вошли как {email}", "Signed in as {email}"],
    Roles => ["Ролдор", "Роли", "Roles"],
    RoleAuthor => ["Автор", "Автор", "Author"],
    RoleReviewer => ["Рецензент", "Рецензент", "Reviewer"],
    RoleLibrarian => ["Китепканачы", "Библиотекарь", "Librarian"],
    RoleAdmin => ["Администратор", "Администратор", "Administrator"],
    SignOut => ["Чыгуу", "Выйти", "Sign out"],
    SignOutEverywhere => ["Бардык түзмөктөрдөн чыгуу", "Выйти на всех устройствах", "Sign out everywhere"],
    ChangePassword => ["Сырсөздү өзгөртүү", "Сменить пароль", "Change password"],
    MustChangePassword => ["Бир жолку сырсөз менен кирдиңиз: улантуудан мурун өз сырсөзүңүздү коюңуз.", "Вы вошли с одноразовым паролем: прежде чем продолжить, задайте свой.", "You signed in with a one-time password: choose your own before going on."],
    CurrentPassword => ["Азыркы сырсөз", "Текущий пароль", "Current password"],
    NewPassword => ["Жаңы сырсөз", "Новый пароль", "New password"],
    RepeatPassword => ["Жаңы сырсөздү кайталаңыз", "Повторите новый пароль", "Repeat the new password"],
    PasswordRules => ["Кеминде {min} белги. Бир нече сөздөн турган сүйлөмдү эстеп калуу оңой, табуу кыйын.", "Не меньше {min} символов. Фразу из нескольких слов легко запомнить и трудно подобрать.", "At least {min} characters. A phrase of several words is easy to remember and hard to guess."],
    PasswordTooShort => ["Сырсөз өтө кыска: кеминде {min} белги керек.", "Пароль слишком короткий: нужно не меньше {min} символов.", "The password is too short: it needs at least {min} characters."],
    PasswordTooLong => ["Сырсөз өтө узун (эң көп {max} белги).", "Пароль слишком длинный (не больше {max} символов).", "The password is too long (at most {max} characters)."],
    PasswordCommon => ["Мындай сырсөздү биринчи кезекте текшеришет (сандар гана, катар белгилер же белгилүү сөздөр). Башкасын тандаңыз.", "Такой пароль подбирают первым (только цифры, последовательность или известные слова). Выберите другой.", "Passwords like this are guessed first (digits only, a sequence, or well-known words). Choose another."],
    PasswordHasName => ["Сырсөздө дарегиңиздеги ат болбошу керек.", "Пароль не должен содержать имя из вашего адреса.", "The password must not contain the name in your address."],
    PasswordsDiffer => ["Жаңы сырсөздөр дал келбейт.", "Новые пароли не совпадают.", "The new passwords do not match."],
    CurrentPasswordWrong => ["Азыркы сырсөз туура эмес.", "Текущий пароль неверен.", "The current password is wrong."],
    PasswordChanged => ["Сырсөз өзгөртүлдү; башка түзмөктөрдөгү сессиялар жабылды.", "Пароль изменён; сеансы на других устройствах закрыты.", "Password changed; sessions on other devices were ended."],
    ForbiddenTitle => ["Уруксат жок", "Нет доступа", "Not allowed"],
    ForbiddenBody => ["Бул аракетке сиздин ролуңуз уруксат бербейт.", "Ваша роль не позволяет это действие.", "Your role does not allow this."],
    AuditLog => ["Аракеттер журналы", "Журнал действий", "Audit log"],
    AuditWhen => ["Качан (UTC)", "Когда (UTC)", "When (UTC)"],
    AuditWho => ["Ким", "Кто", "Who"],
    AuditWhat => ["Эмне", "Что", "What"],
    AuditTarget => ["Эмнеге", "Над чем", "On what"],
    AuditDetail => ["Чоо-жайы", "Подробности", "Details"],
    Save => ["Сактоо", "Сохранить", "Save"],
    RefusedNotZip => ["файл .zip архиви эмес: китептин папкасын .zip кылып таңгактап, ошону жүктөңүз", "файл не архив .zip: упакуйте папку книги в .zip и загрузите его", "the file is not a .zip archive: pack the book's folder as a .zip and upload that"],
    RefusedTooLarge => ["жүктөлгөн файл порталдын чегинен чоң ({mb} МБ); сүрөттөрдү кичирейтиңиз же администратордон KITEP_MAX_UPLOAD_MB чегин көтөрүүнү сураңыз", "файл больше, чем принимает портал ({mb} МБ); уменьшите изображения или попросите администратора увеличить KITEP_MAX_UPLOAD_MB", "the upload is larger than the portal accepts ({mb} MB); make the images smaller or ask the administrator to raise KITEP_MAX_UPLOAD_MB"],
    RefusedDamaged => [".zip архиви бузулган ({why}); папканы кайра таңгактаңыз", "архив .zip повреждён ({why}); упакуйте папку заново", "the .zip archive is damaged ({why}); pack the folder again"],
    RefusedUnsafePath => ["«{name}»: китептин папкасынан сыртка чыккан жол (.., абсолюттук жол же диск тамгасы); папканын өзүн таңгактаңыз", "«{name}»: путь, ведущий за пределы папки книги (.., абсолютный путь или буква диска); упакуйте саму папку", "'{name}': a path that leads out of the book's folder (.., an absolute path or a drive letter); pack the folder itself"],
    RefusedSymlink => ["«{name}» — символдук шилтеме; архивге файлдын өзүн салыңыз", "«{name}» — символическая ссылка; положите в архив сам файл", "'{name}' is a symbolic link; put the file itself in the archive"],
    RefusedNested => ["«{name}» — архивдин ичиндеги архив; адегенде аны папкага ачыңыз", "«{name}» — архив внутри архива; сначала распакуйте его в папку", "'{name}' is an archive inside the archive; unpack it into the folder first"],
    RefusedNotUtf8 => ["«{name}» файлынын аты UTF-8 эмес; атын өзгөртүңүз (же UTF-8 аттарын жазган программа менен таңгактаңыз)", "имя файла «{name}» не в UTF-8; переименуйте его (или упакуйте программой, пишущей имена в UTF-8)", "the file name '{name}' is not in UTF-8; rename it (or pack with a tool that writes UTF-8 names)"],
    RefusedTooManyFiles => ["архивде {limit} файлдан ашык бар; китепке алда канча азыраак керек", "в архиве больше {limit} файлов; книге нужно гораздо меньше", "the archive holds more than {limit} files; a book needs far fewer"],
    RefusedTooMuchUnpacked => ["ачылганда архив {mb} МБдан чоң болот", "в распакованном виде архив больше {mb} МБ", "unpacked, the archive is larger than {mb} MB"],
    RefusedBomb => ["«{name}» болушу керек болгондон алда канча чоң ачылат (zip бомба?)", "«{name}» распаковывается во много раз больше, чем должно (zip-бомба?)", "'{name}' unpacks to far more than it should (a zip bomb?)"],
    RefusedNoBook => ["архивдин башында (же анын жалгыз папкасында) book.toml жок; book.toml бар китептин папкасын таңгактаңыз", "в начале архива (или в его единственной папке) нет book.toml; упакуйте папку книги с book.toml", "no book.toml at the top of the archive (or of its one top-level folder); pack the book's folder, the one with book.toml"],
    BooksInCollection => ["Жыйнактагы китептер", "Книги в подборке", "Books in the collection"],
    NewCollection => ["Жаңы жыйнак", "Новая подборка", "New collection"],
    CollectionSlug => ["Дареги (латын тамгалары, сандар, дефис)", "Адрес (латиница, цифры, дефис)", "Address (Latin letters, digits, hyphens)"],
    TitleIn => ["Аталышы: {lang}", "Название: {lang}", "Title: {lang}"],
    DescriptionIn => ["Сүрөттөмөсү: {lang}", "Описание: {lang}", "Description: {lang}"],
    Featured => ["Башкы бетте көрсөтүү", "Показывать на главной", "Feature on the home page"],
    MoveUp => ["Жогору", "Выше", "Up"],
    MoveDown => ["Төмөн", "Ниже", "Down"],
    Delete => ["Өчүрүү", "Удалить", "Delete"],
    AddBook => ["Китеп кошуу", "Добавить книгу", "Add a book"],
    RemoveFromCollection => ["Жыйнактан чыгаруу", "Убрать из подборки", "Remove from the collection"],
    BadSlug => ["Даректе латын тамгалары, сандар жана дефис гана болот.", "В адресе только латиница, цифры и дефис.", "The address takes Latin letters, digits and hyphens only."],
    TitleRequired => ["Жок дегенде бир тилде аталыш жазыңыз.", "Укажите название хотя бы на одном языке.", "Give a title in at least one language."],
    ApiTokens => ["API токендери", "API-токены", "API tokens"],
    TokenName => ["Токендин аты (мисалы, «басманын CI»)", "Имя токена (например, «CI издательства»)", "Token name (for example “publisher's CI”)"],
    NewToken => ["Жаңы токен", "Новый токен", "New token"],
    TokenShown => ["Жаңы токен (азыр гана көрсөтүлөт; `kitep publish --token` же KITEP_TOKEN үчүн):", "Новый токен (показан только сейчас; для `kitep publish --token` или KITEP_TOKEN):", "The new token (shown only now; for `kitep publish --token` or KITEP_TOKEN):"],
    Revoke => ["Жокко чыгаруу", "Отозвать", "Revoke"],
    Revoked => ["Жокко чыгарылган", "Отозван", "Revoked"],
    LastUsed => ["Акыркы жолу колдонулган", "Последнее использование", "Last used"],
    EditTitle => ["Түзөтүү", "Редактировать", "Edit"],
    ProjectFiles => ["Долбоордун файлдары", "Файлы проекта", "The project's files"],
    AddChapter => ["Бөлүм кошуу", "Добавить главу", "Add a chapter"],
    ChapterFile => ["Файлдын аты", "Имя файла", "File name"],
    ChapterTitle => ["Аталышы", "Название", "Title"],
    AddImage => ["Сүрөт кошуу же алмаштыруу", "Добавить или заменить изображение", "Add or replace an image"],
    ImagePath => ["Жолу (мисалы, src/img/prism.png)", "Путь (например, src/img/prism.png)", "Path (for example src/img/prism.png)"],
    EditConflict => ["Сиз баштагандан кийин бул кара жазманы башка бирөө өзгөрттү. Сиздин текстиңиз төмөндө, жаңы нускадагысы андан кийин: бириктирип, кайра сактаңыз.", "Пока вы редактировали, черновик изменил кто-то другой. Ваш текст ниже, текст новой редакции после него: объедините и сохраните снова.", "Someone else changed this draft after you started. Your text is below, the newer revision's after it: merge them and save again."],
    TheirVersion => ["Жаңы нускадагы текст", "Текст в новой редакции", "The text in the newer revision"],
    BadFilePath => ["Мындай жол болбойт: долбоордун ичиндеги жөнөкөй жолду жазыңыз (мисалы, src/img/a.png).", "Такой путь нельзя: укажите простой путь внутри проекта (например, src/img/a.png).", "Not a usable path: give a plain path inside the project (for example src/img/a.png)."],
    NotAnImage => ["Бул PNG, JPEG, GIF, WebP же SVG сүрөтү эмес.", "Это не изображение PNG, JPEG, GIF, WebP или SVG.", "This is not a PNG, JPEG, GIF, WebP or SVG image."],
    ChapterExists => ["Мындай аттагы бөлүм бар.", "Глава с таким именем уже есть.", "A chapter with this file name exists."],
    NoChapterList => ["Бөлүмдөрдүн тизмеси табылган жок (SUMMARY.md же book.toml'догу chapters).", "Не найден список глав (SUMMARY.md или chapters в book.toml).", "No chapter list found (SUMMARY.md, or chapters in book.toml)."],
    FileTooLarge => ["Файл өтө чоң (эң көп 16 МБ).", "Файл слишком большой (не больше 16 МБ).", "The file is too large (at most 16 MB)."],
    SubmitForReview => ["Рецензияга жөнөтүү", "Отправить на рецензию", "Submit for review"],
    Comment => ["Пикир", "Комментарий", "Comment"],
    CommentButton => ["Пикир калтыруу", "Оставить комментарий", "Add the comment"],
    RequestChanges => ["Оңдоону суроо", "Запросить правки", "Request changes"],
    Approve => ["Бекитүү", "Одобрить", "Approve"],
    ChapterOptional => ["Файл (милдеттүү эмес)", "Файл (необязательно)", "File (optional)"],
    LineOptional => ["Сап (милдеттүү эмес)", "Строка (необязательно)", "Line (optional)"],
    Changelog => ["Эмне жаңы (бир сап)", "Что нового (одна строка)", "What's new (one line)"],
    PublishButton => ["Жарыялоо", "Опубликовать", "Publish"],
    ChangesTitle => ["Өзгөрүүлөр", "Изменения", "What changed"],
    ChangesSincePublished => ["Жарыяланган нускадан бери өзгөргөндөр, бөлүм боюнча:", "Изменения с опубликованной версии, по главам:", "Changes since the published version, chapter by chapter:"],
    ChangesSincePrevious => ["Мурунку нускадан бери өзгөргөндөр, бөлүм боюнча (китеп али жарыялана элек):", "Изменения с предыдущей редакции, по главам (книга ещё не опубликована):", "Changes since the previous revision, chapter by chapter (not published yet):"],
    ChangesAllNew => ["Китеп али жарыялана элек жана бул анын биринчи нускасы: баары жаңы.", "Книга ещё не опубликована, и это её первая редакция: всё новое.", "Not published yet, and this is its first revision: everything is new."],
    NoChanges => ["Өзгөрүү жок.", "Изменений нет.", "Nothing changed."],
    History => ["Тарыхы", "История", "History"],
    StaleAction => ["Кара жазманын абалы ошол арада өзгөрдү (башка бирөө мурда аракет кылды); эч нерсе жазылган жок. Жазганыңыз төмөндө сакталды.", "Черновик тем временем изменился (кто-то успел раньше); ничего не записано. Ваш текст сохранён ниже.", "The draft changed meanwhile (someone acted first); nothing was recorded. Your text is kept below."],
    HasErrors => ["Жарыялоо үчүн бекитилген нуска катасыз курулушу керек.", "Для публикации одобренная редакция должна собираться без ошибок.", "To publish, the approved revision must build without errors."],
    CommentRequired => ["Пикир жазыңыз.", "Напишите комментарий.", "Write a comment."],
    ChangelogRequired => ["Эмне жаңы экенин бир сап менен жазыңыз.", "Напишите одной строкой, что нового.", "Say in one line what is new."],
    PublishedBooks => ["Жарыяланган китептер", "Опубликованные книги", "Published books"],
    Withdraw => ["Алып салуу", "Снять с публикации", "Withdraw"],
    CatalogueDownloads => ["Каталогду китепкана системалары үчүн жүктөө", "Каталог для библиотечных систем", "The catalogue for library systems"],
    MarcIso => ["MARC 21 (ISO 2709, .mrc), Koha үчүн", "MARC 21 (ISO 2709, .mrc), для Koha", "MARC 21 (ISO 2709, .mrc), for Koha"],
    MarcXml => ["MARC 21 (MARCXML)", "MARC 21 (MARCXML)", "MARC 21 (MARCXML)"],
    CatalogueJson => ["Бүт каталог JSON түрүндө", "Весь каталог в JSON", "The whole catalogue as JSON"],
    Reason => ["Себеби", "Причина", "Reason"],
    Restore => ["Кайтаруу", "Вернуть", "Restore"],
    VersionHistory => ["Басылыштардын тарыхы", "История версий", "Version history"],
    EventSubmit => ["рецензияга жөнөттү", "отправил(а) на рецензию", "submitted it for review"],
    EventComment => ["пикир калтырды", "прокомментировал(а)", "commented"],
    EventApprove => ["бекитти", "одобрил(а)", "approved it"],
    EventRequestChanges => ["оңдоону сурады", "запросил(а) правки", "requested changes"],
    EventPublish => ["жарыялады", "опубликовал(а)", "published it"],
    WithdrawnTitle => ["Бул китеп алынып салынды", "Эта книга снята с публикации", "This book has been withdrawn"],
    WithdrawnReason => ["Себеби: {reason}", "Причина: {reason}", "Reason: {reason}"],
    Drafts => ["Кара жазмалар", "Черновики", "Drafts"],
    UploadTitle => ["Китепти жүктөө", "Загрузить книгу", "Upload a book"],
    UploadHint => [".zip архиви: book.toml файлы бар китептин папкасы (же mdBook долбоору). Эң көп {mb} МБ.", "Архив .zip: папка книги с book.toml (или проект mdBook). Не больше {mb} МБ.", "A .zip of the book's folder, the one with book.toml (or an mdBook project). At most {mb} MB."],
    File => ["Файл", "Файл", "File"],
    UploadButton => ["Жүктөө", "Загрузить", "Upload"],
    NoOrganisation => ["Сиз эч бир уюмга кирбейсиз: администратордон сураңыз.", "Вы не состоите ни в одной организации: обратитесь к администратору.", "You belong to no organisation: ask an administrator to add you to one."],
    UploadRefused => ["Жүктөлгөн жок: {why}", "Не загружено: {why}", "Not uploaded: {why}"],
    NoDrafts => ["Кара жазмалар жок.", "Черновиков нет.", "No drafts."],
    StageDraft => ["Кара жазма", "Черновик", "Draft"],
    StageInReview => ["Рецензияда", "На рецензии", "In review"],
    StageChangesRequested => ["Оңдоо суралды", "Нужны правки", "Changes requested"],
    StageApproved => ["Бекитилди", "Одобрено", "Approved"],
    StagePublished => ["Жарыяланды", "Опубликовано", "Published"],
    Revisions => ["Нускалар", "Редакции", "Revisions"],
    RevisionN => ["{n}-нуска", "Редакция {n}", "Revision {n}"],
    BuildQueued => ["Текшерүү кезекте турат…", "Проверка в очереди…", "Waiting to be checked…"],
    BuildRunning => ["Текшерилип, курулууда: {step}…", "Проверяется и собирается: {step}…", "Being checked and built: {step}…"],
    BuildDone => ["Курулду: {errors} ката, {warnings} эскертүү.", "Собрано: ошибок {errors}, предупреждений {warnings}.", "Built: {errors} errors, {warnings} warnings."],
    BuildFailed => ["Курулган жок: {why}", "Не собрано: {why}", "Not built: {why}"],
    ReadDraft => ["Кара жазманы окуу", "Читать черновик", "Read the draft"],
    Problems => ["Табылган көйгөйлөр", "Найденные проблемы", "Problems found"],
    People => ["Кызматкерлер", "Сотрудники", "People"],
    Organisations => ["Уюмдар", "Организации", "Organisations"],
    OrganisationsHint => ["Үтүр менен бөлүңүз: басма, долбоордун командасы же мектеп.", "Через запятую: издательство, команда проекта или школа.", "Separated by commas: a publisher, a project team or a school."],
    Organisation => ["Уюм", "Организация", "Organisation"],
    Status => ["Абалы", "Состояние", "Status"],
    Active => ["Иштеп жатат", "Активна", "Active"],
    Disabled => ["Өчүрүлгөн", "Отключена", "Disabled"],
    DisableAccount => ["Аккаунтту өчүрүү (бардык сессиялар жабылат)", "Отключить учётную запись (все сеансы закроются)", "Disable the account (all its sessions end)"],
    Edit => ["Өзгөртүү", "Изменить", "Edit"],
    Saved => ["Сакталды.", "Сохранено.", "Saved."],
    ResetPassword => ["Бир жолку жаңы сырсөз берүү", "Выдать новый одноразовый пароль", "Issue a new one-time password"],
    NewOneTimePassword => ["{email} үчүн бир жолку сырсөз (азыр гана көрсөтүлөт; кирген соң өзгөртүлүшү керек):", "Одноразовый пароль для {email} (показан только сейчас; после входа его нужно сменить):", "One-time password for {email} (shown only now; it must be changed after signing in):"],
    Invite => ["Чакыруу", "Пригласить", "Invite"],
    InviteTitle => ["Кызматкерди чакыруу", "Пригласить сотрудника", "Invite a staff member"],
    InviteIntro => ["Чакыруу шилтемеси бир гана жолу иштейт жана {days} күндөн кийин күчүн жоготот. Аны адамга өзүңүз жөнөтүңүз (кат, мессенджер).", "Ссылка-приглашение работает один раз и перестаёт действовать через {days} дн. Отправьте её человеку сами (письмо, мессенджер).", "The invitation link works once and expires after {days} days. Send it to the person yourself (e-mail, a messenger)."],
    InviteLink => ["{email} үчүн чакыруу шилтемеси ({date} чейин):", "Ссылка-приглашение для {email} (действует до {date}):", "Invitation link for {email} (valid until {date}):"],
    ChooseRoles => ["Ролдорду тандаңыз", "Выберите роли", "Choose the roles"],
    NoRoleChosen => ["Жок дегенде бир ролду тандаңыз.", "Выберите хотя бы одну роль.", "Choose at least one role."],
    BadEmail => ["Бул электрондук почтанын дареги эмес (name@example.org).", "Это не адрес электронной почты (name@example.org).", "This is not an e-mail address (name@example.org)."],
    JoinTitle => ["Китепканага кошулуу", "Присоединиться к Китепкане", "Join Kitepkana"],
    JoinIntro => ["Сиз {email} катары ушул ролдор менен чакырылдыңыз: {roles}. Сырсөз тандаңыз.", "Вас пригласили как {email} с ролями: {roles}. Выберите пароль.", "You are invited as {email} with these roles: {roles}. Choose a password."],
    InvitationUnknown => ["Мындай чакыруу жок. Шилтемени толук көчүргөнүңүздү текшериңиз.", "Такого приглашения нет. Проверьте, что ссылка скопирована целиком.", "There is no such invitation. Check that the whole link was copied."],
    InvitationUsed => ["Бул чакыруу колдонулуп бүткөн. Кирүү барагынан кириңиз же жаңы чакыруу сураңыз.", "Это приглашение уже использовано. Войдите через страницу входа или попросите новое.", "This invitation has been used. Sign in from the sign-in page, or ask for a new one."],
    InvitationExpired => ["Бул чакыруунун мөөнөтү бүткөн. Администратордон жаңысын сураңыз.", "Срок действия приглашения истёк. Попросите у администратора новое.", "This invitation has expired. Ask an administrator for a new one."],
    AccountExists => ["Бул дарек менен аккаунт бар. Кирүү барагынан кириңиз.", "Учётная запись с этим адресом уже есть. Войдите через страницу входа.", "An account with this address exists. Sign in from the sign-in page."],
}

pub fn t(lang: Lang, m: M) -> &'static str {
    m.texts()[lang.idx()]
}

/// A message with `{name}` placeholders filled in (values are inserted as given: escape after).
pub fn tf(lang: Lang, m: M, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, m).to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// "5 books" with the language's plural rules.
pub fn books_count(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Ky => format!("{n} китеп"),
        Lang::En => format!("{n} {}", if n == 1 { "book" } else { "books" }),
        Lang::Ru => {
            let word = match (n % 10, n % 100) {
                (1, r) if r != 11 => "книга",
                (2..=4, r) if !(12..=14).contains(&r) => "книги",
                _ => "книг",
            };
            format!("{n} {word}")
        }
    }
}

/// `n books`, or `n+ books` when `n` is only a lower bound (a very large library).
pub fn books_count_found(lang: Lang, n: usize, exact: bool) -> String {
    if exact {
        return books_count(lang, n);
    }
    match lang {
        Lang::Ky => format!("{n}+ китеп"),
        Lang::Ru => format!("{n}+ книг"),
        Lang::En => format!("{n}+ books"),
    }
}

/// A language code's name in the interface language.
pub fn language_name(ui: Lang, code: &str) -> String {
    let names: [&str; 3] = match code {
        "ky" => ["кыргызча", "кыргызский", "Kyrgyz"],
        "ru" => ["орусча", "русский", "Russian"],
        "en" => ["англисче", "английский", "English"],
        "uz" | "uz-Latn" | "uz-Cyrl" => ["өзбекче", "узбекский", "Uzbek"],
        "kk" => ["казакча", "казахский", "Kazakh"],
        "tg" => ["тажикче", "таджикский", "Tajik"],
        "mn" => ["монголчо", "монгольский", "Mongolian"],
        _ => return code.to_string(),
    };
    names[ui.idx()].to_string()
}

/// Subject and material codes, named in the interface language (unknown codes shown as they are).
pub fn term_name(ui: Lang, code: &str) -> String {
    let names: [&str; 3] = match code {
        "mathematics" => ["математика", "математика", "mathematics"],
        "reading" | "literature" => ["адабий окуу", "литературное чтение", "reading"],
        "science" | "natural-science" => ["табият таануу", "естествознание", "science"],
        "geography" => ["география", "география", "geography"],
        "health" => ["ден соолук", "здоровье", "health"],
        "pedagogy" | "teaching" => ["педагогика", "педагогика", "teaching"],
        "informatics" => ["информатика", "информатика", "informatics"],
        "textbook" => ["окуу китеби", "учебник", "textbook"],
        "workbook" => ["дептер", "рабочая тетрадь", "workbook"],
        "reader" => ["окуу үчүн китеп", "книга для чтения", "reader"],
        "kyrgyz-language" => ["кыргыз тили", "кыргызский язык", "Kyrgyz language"],
        "guide" | "teacher-guide" | "methodological-guide" => [
            "мугалимге колдонмо",
            "методическое пособие",
            "teacher's guide",
        ],
        "other" => ["башка", "другое", "other"],
        _ => return code.to_string(),
    };
    names[ui.idx()].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(Lang::negotiate("ru-RU,ru;q=0.9,en;q=0.8"), Some(Lang::Ru));
        assert_eq!(Lang::negotiate("de, en;q=0.5, ky;q=0.7"), Some(Lang::Ky));
        assert_eq!(Lang::negotiate("fr, de"), None);
        assert_eq!(Lang::negotiate("en;q=0, ru;q=0.1"), Some(Lang::Ru));
        assert_eq!(Lang::negotiate(";;;,q=,ky;q=abc"), Some(Lang::Ky));
    }

    #[test]
    fn russian_plurals() {
        assert_eq!(books_count(Lang::Ru, 1), "1 книга");
        assert_eq!(books_count(Lang::Ru, 3), "3 книги");
        assert_eq!(books_count(Lang::Ru, 11), "11 книг");
        assert_eq!(books_count(Lang::Ru, 22), "22 книги");
        assert_eq!(books_count(Lang::En, 1), "1 book");
        assert_eq!(books_count(Lang::Ky, 2), "2 китеп");
        assert_eq!(books_count_found(Lang::Ru, 21, true), "21 книга");
        assert_eq!(books_count_found(Lang::Ru, 21, false), "21+ книг");
    }
}
